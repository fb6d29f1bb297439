import { DiagnosticSeverity, Parser } from '@asyncapi/parser';
import { MESSAGE_METADATA } from '@nestjs/websockets/constants';
import { RealtimeGateway } from '../src/realtime/realtime.gateway';
import type { ClientFrameType, EphemeralPayloads, ListEventType } from '../src/realtime/list-events';
import { useTestApp } from './support/app';

type Doc = {
  asyncapi: string;
  channels: { list: { address: string; bindings: { ws: { query: { properties: Record<string, unknown> } } } } };
  components: {
    schemas: Record<string, { properties: Record<string, unknown> }>;
    messages: Record<
      string,
      { name: string; tags: { name: string }[]; payload: { properties: Record<string, unknown> } }
    >;
  };
};

/** Every durable event type, by name: an event type added to the map fails to compile here until it is listed. */
const EVENT_TYPES: Record<ListEventType, true> = {
  'item:added': true,
  'item:updated': true,
  'item:removed': true,
  'list:updated': true,
  'store:updated': true,
  'trip:completed': true,
  'trip:updated': true,
};
const EPHEMERAL_TYPES: Record<keyof EphemeralPayloads, true> = { 'item:checking': true, presence: true };
const CLIENT_TYPES: Record<ClientFrameType, true> = { ping: true, 'item:checking': true };

/** The frame types of the messages tagged `direction`. */
function messagesOf(doc: Doc, direction: string): string[] {
  return Object.values(doc.components.messages)
    .filter((message) => message.tags.some((tag) => tag.name === direction))
    .map((message) => message.name)
    .sort();
}

describe('AsyncAPI document of the WebSocket protocol', () => {
  const t = useTestApp({ PUBLIC_URL: 'https://cartsync.example.com' });
  let doc: Doc;
  beforeAll(async () => {
    const res = await t.http.get('/docs-asyncapi').expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    doc = res.body as Doc;
  });

  it('should be a valid AsyncAPI 3.0 document: @asyncapi/parser reports no error', async () => {
    expect(doc.asyncapi).toBe('3.0.0');
    const { document, diagnostics } = await new Parser().parse(doc);
    const errors = diagnostics.filter((d) => Number(d.severity) === Number(DiagnosticSeverity.Error));
    expect(errors.map((d) => `${d.path.join('.')}: ${d.message}`)).toEqual([]);
    expect(document).toBeDefined();
    const servers = document!.servers().all();
    expect(servers.map((server) => [server.protocol(), server.host()])).toEqual([['wss', 'cartsync.example.com']]);
  });

  it('should describe /ws/lists/{listId} with its ticket, token and since query parameters', () => {
    expect(doc.channels.list.address).toBe('/ws/lists/{listId}');
    expect(Object.keys(doc.channels.list.bindings.ws.query.properties).sort()).toEqual(['since', 'ticket', 'token']);
  });

  it('should have one message for every event type of the map, and for no other', () => {
    expect(messagesOf(doc, 'durable')).toEqual(Object.keys(EVENT_TYPES).sort());
    expect(messagesOf(doc, 'ephemeral')).toEqual(Object.keys(EPHEMERAL_TYPES).sort());
    expect(messagesOf(doc, 'control')).toEqual(['error', 'pong', 'resync']);
  });

  it('should describe exactly the client frames the gateway subscribes to', () => {
    const prototype = RealtimeGateway.prototype as unknown as Record<string, unknown>;
    const subscribed = Object.getOwnPropertyNames(prototype)
      .map((name) => Reflect.getMetadata(MESSAGE_METADATA, prototype[name] as object) as string | undefined)
      .filter((message): message is string => message !== undefined)
      .sort();
    expect(subscribed).toEqual(Object.keys(CLIENT_TYPES).sort());
    expect(messagesOf(doc, 'client')).toEqual(subscribed);
  });

  it('should give a durable frame its payload schema from the REST DTO, and a seq', async () => {
    const added = doc.components.messages['item.added'].payload;
    expect(added).toEqual({
      type: 'object',
      properties: {
        type: { const: 'item:added' },
        payload: { $ref: '#/components/schemas/ItemResponse' },
        seq: expect.objectContaining({ type: 'integer', minimum: 1 }),
      },
      required: ['type', 'payload', 'seq'],
    });
    const openApi = (await t.http.get('/docs-json').expect(200)).body as Doc;
    const item = doc.components.schemas.ItemResponse;
    expect(Object.keys(item.properties).sort()).toEqual(
      Object.keys(openApi.components.schemas.ItemResponse.properties).sort(),
    );
    expect(item.properties.checkedBy).toEqual({ type: ['string', 'null'], description: expect.any(String) });
  });

  it('should describe ephemeral and client frames without a seq, with their payloads', () => {
    expect(doc.components.messages['item.checking'].payload.properties).toEqual({
      type: { const: 'item:checking' },
      payload: expect.objectContaining({ required: ['itemId', 'userId'] }),
    });
    expect(doc.components.messages['item.checking.client'].payload.properties).toEqual({
      type: { const: 'item:checking' },
      payload: { allOf: [{ $ref: '#/components/schemas/ItemCheckingDto' }, { required: ['itemId'] }] },
    });
    expect(doc.components.schemas.ItemCheckingDto.properties.itemId).toMatchObject({ type: 'string' });
    expect(doc.components.messages['ping.client'].payload.properties).toEqual({ type: { const: 'ping' } });
  });
});

describe('AsyncAPI document without Swagger', () => {
  const t = useTestApp({ SWAGGER_ENABLED: 'false' });

  it('should not be served, like /docs-json', async () => {
    await t.http.get('/docs-json').expect(404);
    await t.http.get('/docs-asyncapi').expect(404);
  });
});
