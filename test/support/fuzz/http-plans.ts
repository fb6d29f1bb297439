import fc from 'fast-check';
import { OpenApiDocument, Operation, resolveSchema, SchemaObject } from '../openapi';
import { headerJunk, junkString, junkValue, prototypeKeyText } from './junk';
import { ref, WorldRef } from './world';

/**
 * Fuzzed HTTP requests, planned from the operation's OpenAPI description. A plan names world
 * values (`WorldRef`) rather than holding them, because the world is rebuilt when a request
 * consumed it; `send.ts` renders a plan against the world of the moment.
 */

/** The kind of resource a path parameter names. */
export type IdKind = 'list' | 'item' | 'checkedItem' | 'store' | 'trip' | 'user' | 'session' | 'file';

export interface FuzzEntry {
  /** What each path parameter names. */
  params?: Record<string, IdKind>;
  /** A 2xx may end the world (its session, list, membership or fixture item): rebuild it afterwards. */
  consumes?: boolean;
}

/** A world id, as is or disguised (case, braces, urn: prefix, one character more or less). */
export interface IdSegment {
  id: WorldRef;
  disguise?: 'upper' | 'braces' | 'urn' | 'suffix' | 'chop';
}

/** Text sent as it is in the URL (already percent-encoded where needed). */
export interface RawSegment {
  raw: string;
}

export type Segment = IdSegment | RawSegment;

export type Actor =
  | { as: 'me' | 'member' | 'other' }
  | { as: 'anonymous' }
  | { header: string }
  | { mangled: 'suffix' | 'scheme-case' | 'alg-none' | 'refresh-token' | 'twice' };

/** A file part of a multipart body. */
export interface FilePart {
  field: string;
  bytes: 'jpeg' | 'junk' | 'png-bomb-header' | 'oversize' | 'empty';
  filename: string;
  contentType: string;
}

export type BodyPlan =
  | { kind: 'none' }
  /** JSON.stringify of the value (refs resolved). */
  | { kind: 'json'; value: unknown }
  /** The value's JSON with raw `text` as the value of property `at`, or prepended as a member when `at` is null. */
  | { kind: 'inject'; base: Record<string, unknown>; at: string | null; text: string }
  /** The value's JSON with `prop` a second time, holding `junk`, before or after the real one. */
  | { kind: 'duplicate'; base: Record<string, unknown>; prop: string; junk: unknown; junkFirst: boolean }
  /** The value's JSON under another content type or encoding. */
  | { kind: 'retyped'; base: Record<string, unknown>; contentType: string | null; encoding: 'utf8' | 'bom' | 'utf16le' }
  /** Literal text or bytes (no world values in it). */
  | { kind: 'raw'; contentType: string | null; text: string }
  | { kind: 'bytes'; contentType: string | null; bytes: number[] }
  | { kind: 'multipart'; files: FilePart[]; fields: [string, string][] };

export interface RequestPlan {
  actor: Actor;
  segments: Record<string, Segment>;
  /** `name=value` pairs, values already encoded, refs resolved when sent. */
  query: [string, string | WorldRef][];
  headers: Record<string, string>;
  body: BodyPlan;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const RECEIPT_CONTENT_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/heic', 'application/pdf', 'text/html'];

/** Encodes for a URL; a lone surrogate (which encodeURIComponent refuses) is sent as its CESU-8 bytes. */
export function encode(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return '%ED%A0%80';
  }
}

// ---------------------------------------------------------------------------------------------
// Values from schemas

/** World values a property of this name may hold: real emails, invite codes, ids… */
function hintFor(name: string | undefined): fc.Arbitrary<unknown> | undefined {
  const refs = (...names: string[]) => fc.constantFrom(...names.map((n) => ref(n)));
  switch (name ?? '') {
    case 'email':
      return fc.oneof(refs('email.me', 'email.other'), fc.constant({ ...ref('email.me'), upper: true }));
    case 'password':
    case 'newPassword':
      return refs('password.me');
    case 'refreshToken':
      return refs('refresh.me', 'refresh.other');
    case 'inviteCode':
      return fc.oneof(refs('invite.own', 'invite.foreign'), fc.constant({ ...ref('invite.foreign'), lower: true }));
    case 'listId':
      return refs('list.own', 'list.foreign');
    case 'storeId':
      return refs('store.own', 'store.foreign', 'list.own');
    case 'before':
      return refs('trip.own', 'trip.foreign');
    case 'id':
      return refs('item.own', 'item.foreign', 'checkedItem.own');
    case 'expires':
      return refs('expires.own');
    case 'sig':
      return refs('sig.own', 'sig.foreign');
    case 'name':
      return fc.constantFrom('Milk', ' milk ', 'Corner Shop', 'CORNER SHOP', 'Coffee');
    case 'order':
      return fc.array(fc.oneof(refs('itemName.own'), fc.constantFrom('Bread', 'Coffee', 'Milk', 'Eggs')), {
        maxLength: 8,
      });
    case 'token':
    case 'code':
      return fc.stringMatching(/^\d{6}$/);
    default:
      return undefined;
  }
}

function baseValue(doc: OpenApiDocument, schema: SchemaObject): fc.Arbitrary<unknown> {
  switch (schema.type ?? '') {
    case 'string':
      if (schema.format === 'uuid') return fc.uuid();
      if (schema.format === 'email') return fc.emailAddress();
      return fc.string({ minLength: schema.minLength ?? 0, maxLength: schema.maxLength ?? 60 });
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -1000, max: schema.maximum ?? 1000 });
    case 'number': {
      const min = schema.minimum ?? -1e6;
      const max = schema.maximum ?? 1e6;
      return fc.oneof(fc.integer({ min: Math.ceil(min), max: Math.floor(max) }), fc.double({ min, max, noNaN: true }));
    }
    case 'boolean':
      return fc.boolean();
    case 'array': {
      const items = valueFor(doc, schema.items ?? {});
      const most = schema.maxItems ?? 10;
      return fc.oneof(
        { weight: 4, arbitrary: fc.array(items, { maxLength: Math.min(most, 10) }) },
        { weight: 1, arbitrary: fc.array(items, { minLength: most, maxLength: most + 1 }) },
      );
    }
    case 'object':
      return objectValue(doc, schema);
    default:
      return junkValue;
  }
}

/** Valid-ish values for the schema (its bounds, formats and the world's real values), never junk on purpose. */
export function valueFor(doc: OpenApiDocument, schema: SchemaObject, name?: string): fc.Arbitrary<unknown> {
  const resolved = resolveSchema(doc, schema);
  const base = baseValue(doc, resolved);
  const hint = hintFor(name);
  return hint ? fc.oneof({ weight: 3, arbitrary: hint }, { weight: 2, arbitrary: base }) : base;
}

function objectValue(doc: OpenApiDocument, schema: SchemaObject): fc.Arbitrary<Record<string, unknown>> {
  const model = Object.fromEntries(
    Object.entries(schema.properties ?? {}).map(([key, prop]) => [key, valueFor(doc, prop, key)]),
  );
  return fc.record(model, { requiredKeys: schema.required ?? [] });
}

// ---------------------------------------------------------------------------------------------
// Bodies

const INVALID_JSON = [
  '{',
  '{"a":1,}',
  "{'name':'x'}",
  '{"name":NaN}',
  '{"quantity":01}',
  '{"name":"x"} trailing',
  '/* comment */ {}',
  '{"name":"\u0001"}',
  '{"name":"\\x41"}',
  '{"name" "x"}',
  '\u0000',
  'undefined',
];
const NOT_AN_OBJECT = ['[]', '[{}]', '"text"', '1', '-0', 'null', 'true', '""', '[[]]'];
const OTHER_CONTENT_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/vnd.api+json',
  'application/json-patch+json',
  'multipart/form-data; boundary=zz',
  'application/xml',
];

/** Raw JSON for a value somewhere in a body: prototype keys, bad escapes, absurd nesting. */
const injectedText: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .tuple(prototypeKeyText, fc.constantFrom('{"isAdmin":true}', 'null', '1', '[]'))
      .map(([k, v]) => `{${k}:${v}}`),
  },
  { weight: 1, arbitrary: prototypeKeyText.map((k) => `[{"ok":1},{${k}:{"polluted":true}}]`) },
  { weight: 1, arbitrary: fc.constant('{"constructor":{"prototype":{"polluted":true}}}') },
  { weight: 2, arbitrary: fc.constantFrom('"a\\u0000b"', '"\\u0000"', '"\\ud800"', '"x\\udc00\\ud800y"', '"\\uDBFF"') },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom(17, 33, 200, 5_000, 100_000), fc.constantFrom('[', '{"a":'))
      .map(
        ([depth, open]) => open.repeat(depth) + (open === '[' ? '' : '1') + (open === '[' ? ']' : '}').repeat(depth),
      ),
  },
);

/** A member `"key":value` prepended to a body: a prototype key at the top level. */
const injectedMember: fc.Arbitrary<string> = fc
  .tuple(prototypeKeyText, fc.constantFrom('{"isAdmin":true}', 'null', '"x"', '{"prototype":{"polluted":true}}'))
  .map(([key, value]) => `${key}:${value}`);

/** Valid bodies now and then, mostly bodies that are wrong in one way an attacker would try. */
export function bodyFor(
  doc: OpenApiDocument,
  op: Operation,
  options: { validOnly?: boolean } = {},
): fc.Arbitrary<BodyPlan> {
  const content = op.requestBody?.content ?? {};
  if (content['multipart/form-data']) return options.validOnly ? validReceipt : multipartBody();
  const schema = content['application/json']?.schema;
  const base = schema
    ? (valueFor(doc, schema) as fc.Arbitrary<Record<string, unknown>>)
    : fc.constant<Record<string, unknown>>({});
  const props = schema ? Object.keys(resolveSchema(doc, schema).properties ?? {}) : [];
  const prop = props.length > 0 ? fc.constantFrom(...props) : fc.constant('name');
  if (options.validOnly) return base.map((value): BodyPlan => ({ kind: 'json', value }));
  const unknownKey = fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !props.includes(k));
  const variants: fc.WeightedArbitrary<BodyPlan>[] = [
    { weight: schema ? 5 : 1, arbitrary: base.map((value) => ({ kind: 'json', value })) },
    {
      weight: 4,
      arbitrary: fc
        .tuple(base, prop, junkValue)
        .map(([value, key, junk]) => ({ kind: 'json', value: { ...value, [key]: junk } })),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(base, unknownKey, junkValue)
        .map(([value, key, junk]) => ({ kind: 'json', value: { ...value, [key]: junk } })),
    },
    { weight: 1, arbitrary: junkValue.map((value) => ({ kind: 'json', value })) },
    {
      weight: 3,
      arbitrary: fc
        .tuple(base, fc.option(prop, { nil: null }), injectedText, injectedMember)
        .map(([value, at, text, member]) => ({ kind: 'inject', base: value, at, text: at === null ? member : text })),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(base, prop, junkValue, fc.boolean())
        .map(([value, key, junk, junkFirst]) => ({ kind: 'duplicate', base: value, prop: key, junk, junkFirst })),
    },
    {
      weight: 2,
      arbitrary: fc
        .constantFrom(...INVALID_JSON, ...NOT_AN_OBJECT, '')
        .map((text) => ({ kind: 'raw', contentType: 'application/json', text })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          base,
          fc.constantFrom<string | null>(null, ...OTHER_CONTENT_TYPES),
          fc.constantFrom('utf8', 'bom', 'utf16le'),
        )
        .map(([value, contentType, encoding]) => ({
          kind: 'retyped',
          base: value,
          contentType,
          encoding: encoding,
        })),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom<number[]>(
          // Invalid UTF-8 inside a string, and an overlong encoding of '"'.
          [0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d],
          [0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0xc0, 0xa2, 0x78, 0xc0, 0xa2, 0x7d],
        )
        .map((bytes): BodyPlan => ({ kind: 'bytes', contentType: 'application/json', bytes })),
    },
    {
      // Just over the 1 MB body limit.
      weight: 1,
      arbitrary: fc.constant({
        kind: 'raw',
        contentType: 'application/json',
        text: `{"name":"${'a'.repeat(1_050_000)}"}`,
      }),
    },
  ];
  return fc.oneof(...variants);
}

/** For routes without a body: none, mostly; sometimes one anyway. */
export function strayBody(): fc.Arbitrary<BodyPlan> {
  return fc.oneof(
    { weight: 8, arbitrary: fc.constant<BodyPlan>({ kind: 'none' }) },
    { weight: 1, arbitrary: junkValue.map((value): BodyPlan => ({ kind: 'json', value })) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(...INVALID_JSON, ...NOT_AN_OBJECT, '{"__proto__":{"isAdmin":true}}')
        .map((text): BodyPlan => ({ kind: 'raw', contentType: 'application/json', text })),
    },
  );
}

const validReceipt = fc.constant<BodyPlan>({
  kind: 'multipart',
  files: [{ field: 'receipt', bytes: 'jpeg', filename: 'receipt.jpg', contentType: 'image/jpeg' }],
  fields: [],
});

function multipartBody(): fc.Arbitrary<BodyPlan> {
  const file: fc.Arbitrary<FilePart> = fc.record({
    field: fc.oneof(
      { weight: 6, arbitrary: fc.constant('receipt') },
      { weight: 1, arbitrary: fc.constantFrom('file', '__proto__', '') },
    ),
    bytes: fc.constantFrom<FilePart['bytes']>('jpeg', 'jpeg', 'junk', 'png-bomb-header', 'oversize', 'empty'),
    filename: fc.oneof(
      fc.constantFrom('receipt.jpg', 'receipt.png', '../../etc/passwd', 'a'.repeat(300), 'ß🛒.heic', '.jpg', 'x.exe'),
      junkString.filter((s) => s.length > 0 && s.length < 200 && !/["\r\n\\]/.test(s) && !LONE_SURROGATE.test(s)),
    ),
    contentType: fc.constantFrom(...RECEIPT_CONTENT_TYPES),
  });
  const field = fc.tuple(
    fc.constantFrom('__proto__', 'constructor', 'note', 'receipt', 'storeId'),
    fc.constantFrom('x', '{"a":1}', 'null'),
  );
  const form = (files: fc.Arbitrary<FilePart[]>, fields: fc.Arbitrary<[string, string][]>) =>
    fc.tuple(files, fields).map(([f, d]): BodyPlan => ({ kind: 'multipart', files: f, fields: d }));
  return fc.oneof(
    { weight: 6, arbitrary: form(fc.array(file, { minLength: 1, maxLength: 2 }), fc.array(field, { maxLength: 2 })) },
    { weight: 1, arbitrary: form(fc.constant([]), fc.array(field, { maxLength: 7 })) },
    { weight: 1, arbitrary: strayBody() },
  );
}

// ---------------------------------------------------------------------------------------------
// Path, query, headers, caller

/**
 * Junk short enough for a URL: Node refuses request heads over 16 KB before the app sees them
 * (the app's answer to that is its own test, in input-hardening.e2e-spec.ts).
 */
const urlJunk = junkString.filter((s) => s.length <= 2000);

/** A path parameter: the right kind of id of my list (mostly), or one that is wrong in some way. */
function segmentFor(kind: IdKind | undefined): fc.Arbitrary<Segment> {
  const junk: fc.Arbitrary<Segment> = fc.oneof(
    fc
      .constantFrom(
        '00000000-0000-0000-0000-000000000000',
        'ffffffff-ffff-ffff-ffff-ffffffffffff',
        'not-a-uuid',
        '%00',
        '%E0%A4%A',
        '%ED%A0%80',
        '..',
        '%2e%2e',
        '%2F',
        'null',
        '-1',
        '0',
        'x'.repeat(5000),
        '%20',
      )
      .map((raw) => ({ raw })),
    urlJunk.map((s) => ({ raw: encode(s) })).filter((s) => s.raw.length > 0),
    fc.uuid().map((raw) => ({ raw })),
  );
  if (!kind) return junk;
  const own = ref(`${kind}.own`);
  const idsOfOtherKinds = (['list', 'item', 'store', 'trip', 'user', 'session'] as const)
    .filter((k) => k !== kind)
    .map((k) => ref(`${k}.own`));
  return fc.oneof(
    { weight: 6, arbitrary: fc.constant({ id: own }) },
    {
      weight: 2,
      arbitrary: fc
        .constantFrom('upper', 'braces', 'urn', 'suffix', 'chop')
        .map((disguise) => ({ id: own, disguise: disguise })),
    },
    { weight: 2, arbitrary: fc.constant({ id: ref(`${kind}.foreign`) }) },
    { weight: 1, arbitrary: fc.constantFrom(...idsOfOtherKinds).map((id) => ({ id })) },
    { weight: 3, arbitrary: junk },
  );
}

const EXTRA_QUERY: [string, string][] = [
  ['__proto__', '1'],
  ['__proto__[isAdmin]', 'true'],
  ['constructor[prototype][polluted]', '1'],
  ['limit', '1'],
  ['limit', '-1'],
  ['storeId', 'x'],
  ['since', '1'],
  ['x', 'y'.repeat(5000)],
  ['%', '%'],
  ['', ''],
];

function queryFor(doc: OpenApiDocument, op: Operation): fc.Arbitrary<[string, string | WorldRef][]> {
  const documented = (op.parameters ?? []).filter((p) => p.in === 'query');
  const pairs = documented.map((p) =>
    fc.option(
      fc
        .oneof({ weight: 3, arbitrary: valueFor(doc, p.schema ?? {}, p.name) }, { weight: 2, arbitrary: urlJunk })
        .map((value): [string, string | WorldRef] => [
          p.name,
          typeof value === 'object' && value !== null ? (value as WorldRef) : encode(String(value)),
        ]),
      { nil: null },
    ),
  );
  const extras = fc.array(
    fc.constantFrom(...EXTRA_QUERY).map(([k, v]): [string, string] => [encode(k), encode(v)]),
    { maxLength: 2 },
  );
  return fc
    .tuple(fc.tuple(...pairs), extras)
    .map(([documentedPairs, extra]) => [
      ...documentedPairs.filter((p): p is [string, string | WorldRef] => p !== null),
      ...extra,
    ]);
}

function headersFor(method: string, op: Operation): fc.Arbitrary<Record<string, string>> {
  const ifMatch = (op.parameters ?? []).some((p) => p.in === 'header' && p.name.toLowerCase() === 'if-match');
  const version = fc.oneof(
    fc.constantFrom('1', '"1"', 'W/"1"', '2', '0', '999999999', '9999999999', '*', '"abc"', '', '-1', '1, 2'),
    headerJunk,
  );
  const key = fc.oneof(fc.uuid(), fc.constantFrom('k', ' ', 'é', 'x'.repeat(256)), headerJunk);
  return fc.record(
    {
      ...(ifMatch ? { 'If-Match': version } : {}),
      ...(method === 'POST' ? { 'Idempotency-Key': key } : {}),
      'X-Request-ID': fc.oneof(fc.constantFrom('ok-1', 'a'.repeat(65), 'bad id', '<x>'), headerJunk),
    },
    { requiredKeys: [] },
  );
}

const actorArb: fc.Arbitrary<Actor> = fc.oneof(
  { weight: 10, arbitrary: fc.constant<Actor>({ as: 'me' }) },
  { weight: 2, arbitrary: fc.constant<Actor>({ as: 'member' }) },
  { weight: 2, arbitrary: fc.constant<Actor>({ as: 'other' }) },
  { weight: 1, arbitrary: fc.constant<Actor>({ as: 'anonymous' }) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom('suffix', 'scheme-case', 'alg-none', 'refresh-token', 'twice')
      .map((how): Actor => ({ mangled: how as 'suffix' })),
  },
  {
    weight: 1,
    arbitrary: fc
      .oneof(
        fc.constantFrom('Bearer', 'Bearer ', 'Basic YTpi', 'Bearer a.b.c', 'Bearer ....'),
        headerJunk.map((j) => `Bearer ${j}`),
      )
      .map((header): Actor => ({ header })),
  },
);

/** The query a working request carries: the signature of a receipt link, nothing otherwise. */
function rightQuery(op: Operation): [string, WorldRef][] {
  const signed = ['expires', 'sig'];
  return (op.parameters ?? [])
    .filter((p) => p.in === 'query' && signed.includes(p.name))
    .map((p): [string, WorldRef] => [p.name, ref(`${p.name}.own`)]);
}

/**
 * A request to `template` (`/lists/{listId}/items`) as an attacker would vary it. Mostly one
 * part at a time is wrong (the body, a path id, the caller, the query or the headers) while
 * the rest is right, so that the wrong part reaches the code behind the checks it does not
 * touch; now and then every part is drawn at random.
 */
export function requestFor(
  doc: OpenApiDocument,
  method: string,
  template: string,
  op: Operation,
  entry: FuzzEntry,
): fc.Arbitrary<RequestPlan> {
  const names = [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
  const segmentsOf = (each: (kind: IdKind | undefined) => fc.Arbitrary<Segment>) =>
    fc.record(Object.fromEntries(names.map((name) => [name, each(entry.params?.[name])]))) as fc.Arbitrary<
      Record<string, Segment>
    >;
  const right = {
    actor: fc.constant<Actor>({ as: 'me' }),
    segments: segmentsOf((kind) => fc.constant<Segment>(kind ? { id: ref(`${kind}.own`) } : { raw: 'x' })),
    query: fc.constant(rightQuery(op)),
    headers: fc.constant<Record<string, string>>({}),
    body: op.requestBody ? bodyFor(doc, op, { validOnly: true }) : fc.constant<BodyPlan>({ kind: 'none' }),
  };
  const wrong = {
    actor: actorArb,
    segments: segmentsOf(segmentFor),
    query: queryFor(doc, op),
    headers: headersFor(method, op),
    body: op.requestBody ? bodyFor(doc, op) : strayBody(),
  };
  const only = (part: keyof typeof right) => fc.record({ ...right, [part]: wrong[part] }) as fc.Arbitrary<RequestPlan>;
  const choices: fc.WeightedArbitrary<RequestPlan>[] = [
    { weight: op.requestBody ? 8 : 2, arbitrary: only('body') },
    { weight: names.length > 0 ? 3 : 0, arbitrary: only('segments') },
    { weight: 2, arbitrary: only('actor') },
    { weight: 1, arbitrary: only('query') },
    { weight: 1, arbitrary: only('headers') },
    { weight: 2, arbitrary: fc.record(wrong) },
  ];
  return fc.oneof(...choices.filter((choice) => choice.weight > 0));
}
