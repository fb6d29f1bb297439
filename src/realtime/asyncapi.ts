import { ItemCheckingDto } from './dto/item-checking.dto';
import type { ClientFramePayloads, ControlPayloads, EphemeralPayloads, ListEventPayloads } from './list-events';

/** A JSON Schema (AsyncAPI's default schema format, a superset of draft 07). */
export type JsonSchema = Record<string, unknown>;

/** How one frame's payload is described: from a REST response DTO's OpenAPI schema, key by key, or none. */
type PayloadSpec = { ref: string; require?: string[] } | { schema: JsonSchema } | { none: true };

interface MessageSpec {
  summary: string;
  payload: PayloadSpec;
}

/** Every frame type of a payload map, described: a type added to the map without a description does not compile. */
type Described<Map> = { [Type in keyof Map]-?: MessageSpec };

const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
const uuid: JsonSchema = { type: 'string', format: 'uuid' };
const text: JsonSchema = { type: 'string' };
const integer: JsonSchema = { type: 'integer', minimum: 0 };

/** The payload is a REST response DTO: its schema is the one the OpenAPI document generates from the class. */
function dto(name: string, require: string[] = []): PayloadSpec {
  return { ref: name, require };
}

/**
 * An object payload described key by key: `properties` must name every key of `P` (the
 * payload type of the map), so a field added to the type without a description does not
 * compile; `required` lists the keys that are always there.
 */
function fields<P>(properties: { [K in keyof P]-?: JsonSchema }, required: (keyof P & string)[]): PayloadSpec {
  return { schema: { type: 'object', properties, required, additionalProperties: false } };
}

const DURABLE: Described<ListEventPayloads> = {
  'item:added': {
    summary: 'An item was added to the list (the Item as REST returns it).',
    payload: dto('ItemResponse'),
  },
  'item:updated': { summary: 'An item changed: renamed, checked, unchecked…', payload: dto('ItemResponse') },
  'item:removed': {
    summary: 'An item was deleted.',
    payload: fields<ListEventPayloads['item:removed']>({ id: uuid }, ['id']),
  },
  'list:updated': {
    summary: 'The list changed: only the fields that changed (name, invite code, members).',
    payload: fields<ListEventPayloads['list:updated']>(
      {
        id: uuid,
        name: text,
        version: integer,
        inviteCode: { type: 'string', examples: ['A4F-92K'] },
        members: { type: 'array', items: ref('MemberResponse') },
      },
      ['id'],
    ),
  },
  'store:updated': {
    summary: 'A store was created or learned a walking order (every product it learned).',
    payload: dto('StoreResponse'),
  },
  'trip:completed': {
    summary: 'A trip was completed: its items, and the list items it removed (remove those ids).',
    payload: dto('TripResponse', ['items', 'removedItemIds']),
  },
  'trip:updated': {
    summary: 'A trip changed after completion (a receipt was attached).',
    payload: dto('TripResponse'),
  },
};

const EPHEMERAL: Described<EphemeralPayloads> = {
  'item:checking': {
    summary: 'Another member is about to check this item (relayed live, never replayed).',
    payload: fields<EphemeralPayloads['item:checking']>({ itemId: uuid, userId: uuid }, ['itemId', 'userId']),
  },
  presence: {
    summary: 'Who is connected to the list now, on any server.',
    payload: fields<EphemeralPayloads['presence']>(
      {
        users: {
          type: 'array',
          items: {
            type: 'object',
            properties: { id: uuid, name: text },
            required: ['id', 'name'],
            additionalProperties: false,
          },
        },
        connections: integer,
      },
      ['users', 'connections'],
    ),
  },
};

const CONTROL: Described<ControlPayloads> = {
  resync: {
    summary: 'The `since` asked for cannot be served: reload GET /lists/{listId} and continue from its seq.',
    payload: fields<ControlPayloads['resync']>({ seq: integer }, ['seq']),
  },
  pong: { summary: 'The reply to ping.', payload: { none: true } },
  error: {
    summary: 'Your frame was not accepted (it went nowhere); the socket stays open.',
    payload: fields<ControlPayloads['error']>({ message: text }, ['message']),
  },
};

const CLIENT: Described<ClientFramePayloads> = {
  ping: { summary: 'Keep-alive (the app sends one every 25 s); answered with pong.', payload: { none: true } },
  'item:checking': {
    summary: 'I am about to check this item: relayed to the list’s other connections.',
    payload: dto('ItemCheckingDto', ['itemId']),
  },
};

/** The DTO classes of client frames, which no REST route uses: the OpenAPI scan must be given them. */
export const ASYNCAPI_EXTRA_MODELS = [ItemCheckingDto];

type Direction = 'durable' | 'ephemeral' | 'control' | 'client';

/** `item:added` → `item.added`: component and message ids allow letters, digits, `.`, `-` and `_`. */
function messageId(type: string): string {
  return type.replace(/[^A-Za-z0-9._-]/g, '.');
}

/** An OpenAPI 3.0 schema as JSON Schema: `nullable` becomes a `null` type, `example` `examples`. */
function jsonSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(jsonSchema);
  if (typeof schema !== 'object' || schema === null) return schema;
  const { nullable, example, ...rest } = schema as Record<string, unknown>;
  const converted = Object.fromEntries(Object.entries(rest).map(([key, value]) => [key, jsonSchema(value)]));
  if (example !== undefined) converted.examples = [example];
  if (nullable === true) {
    if (typeof converted.type === 'string') converted.type = [converted.type, 'null'];
    else if (converted.allOf || converted.$ref) return { oneOf: [converted, { type: 'null' }] };
  }
  return converted;
}

/** The names of the component schemas `value` refers to. */
function schemaRefs(value: unknown): string[] {
  return [...JSON.stringify(value).matchAll(/"#\/components\/schemas\/([^"]+)"/g)].map((match) => match[1]);
}

/** The component schemas `names` refer to, transitively, from the OpenAPI document's components. */
function referenced(names: string[], openApiSchemas: Record<string, unknown>): Record<string, JsonSchema> {
  const found: Record<string, JsonSchema> = {};
  const visit = (name: string) => {
    if (name in found) return;
    const schema = openApiSchemas[name];
    if (schema === undefined) throw new Error(`AsyncAPI: no schema named ${name} in the OpenAPI document`);
    found[name] = jsonSchema(schema) as JsonSchema;
    schemaRefs(schema).forEach(visit);
  };
  names.forEach(visit);
  return found;
}

function payloadSchema(spec: PayloadSpec): JsonSchema | undefined {
  if ('none' in spec) return undefined;
  if ('schema' in spec) return spec.schema;
  return spec.require?.length ? { allOf: [ref(spec.ref), { required: spec.require }] } : ref(spec.ref);
}

function frameSchema(type: string, spec: PayloadSpec, direction: Direction): JsonSchema {
  const payload = payloadSchema(spec);
  const properties: JsonSchema = { type: { const: type } };
  const required = ['type'];
  if (payload) {
    properties.payload = payload;
    required.push('payload');
  }
  if (direction === 'durable') {
    properties.seq = { type: 'integer', minimum: 1, description: 'The list’s event counter: gap-free, in order.' };
    required.push('seq');
  }
  return { type: 'object', properties, required };
}

/** The frame types the document describes, by direction (for tests and docs). */
export const DESCRIBED_FRAMES = {
  durable: Object.keys(DURABLE),
  ephemeral: Object.keys(EPHEMERAL),
  control: Object.keys(CONTROL),
  client: Object.keys(CLIENT),
} as const;

/**
 * The AsyncAPI 3.0 document of `/ws/lists/{listId}`, generated from the typed frame maps
 * (list-events.ts) and the OpenAPI component schemas of the payload DTOs, so it follows the
 * code: `openApiSchemas` is `components.schemas` of a document scanned with
 * {@link ASYNCAPI_EXTRA_MODELS}.
 */
export function buildAsyncApiDocument(openApiSchemas: Record<string, unknown>, publicUrl: string): JsonSchema {
  const url = new URL(publicUrl);
  const tables: [Direction, Record<string, MessageSpec>][] = [
    ['durable', DURABLE],
    ['ephemeral', EPHEMERAL],
    ['control', CONTROL],
    ['client', CLIENT],
  ];
  const messages: Record<string, JsonSchema> = {};
  const channelMessages: Record<string, JsonSchema> = {};
  const sent: JsonSchema[] = [];
  const received: JsonSchema[] = [];
  for (const [direction, table] of tables) {
    for (const [type, spec] of Object.entries(table)) {
      const id = messageId(type) + (direction === 'client' ? '.client' : '');
      messages[id] = {
        name: type,
        title: type,
        summary: spec.summary,
        contentType: 'application/json',
        payload: frameSchema(type, spec.payload, direction),
        tags: [{ name: direction }],
      };
      channelMessages[id] = { $ref: `#/components/messages/${id}` };
      (direction === 'client' ? received : sent).push({ $ref: `#/channels/list/messages/${id}` });
    }
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'CartSync realtime',
      version: '1.0',
      description:
        'One WebSocket per open list. Every frame is JSON {type, payload}; durable events also carry seq. ' +
        'The handshake is checked before the upgrade: a refusal is an HTTP answer with the ErrorBody of the REST API.',
    },
    defaultContentType: 'application/json',
    servers: {
      cartsync: {
        host: url.host,
        protocol: url.protocol === 'https:' ? 'wss' : 'ws',
        description: 'The CartSync server (same host and port as the REST API).',
        security: [{ $ref: '#/components/securitySchemes/ticket' }, { $ref: '#/components/securitySchemes/token' }],
      },
    },
    channels: {
      list: {
        address: '/ws/lists/{listId}',
        title: 'A list’s live events',
        parameters: { listId: { description: 'The list (you must be a member; otherwise the handshake is 404).' } },
        messages: channelMessages,
        bindings: {
          ws: {
            method: 'GET',
            query: {
              type: 'object',
              properties: {
                ticket: { type: 'string', description: 'Single-use, 60-second ticket from POST /ws/ticket.' },
                token: { type: 'string', description: 'The bearer token (the existing app); prefer a ticket.' },
                since: {
                  type: 'integer',
                  minimum: 0,
                  description:
                    'Replay every event after this seq first (or get resync when the log no longer has them).',
                },
              },
            },
            bindingVersion: '0.1.0',
          },
        },
      },
    },
    operations: {
      sendListFrames: {
        action: 'send',
        channel: { $ref: '#/channels/list' },
        title: 'Server → client frames',
        messages: sent,
      },
      receiveClientFrames: {
        action: 'receive',
        channel: { $ref: '#/channels/list' },
        title: 'Client → server frames (anything else gets an error frame)',
        messages: received,
      },
    },
    components: {
      schemas: referenced(schemaRefs(messages), openApiSchemas),
      messages,
      securitySchemes: {
        ticket: { type: 'httpApiKey', name: 'ticket', in: 'query', description: 'POST /ws/ticket {listId}.' },
        token: { type: 'httpApiKey', name: 'token', in: 'query', description: 'The access token.' },
      },
    },
  };
}
