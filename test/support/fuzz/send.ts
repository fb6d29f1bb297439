import { STATUS_CODES } from 'node:http';
import { crc32 } from 'node:zlib';
import type { Response, Test } from 'supertest';
import type { TestApp } from '../app';
import type { BodyPlan, FilePart, RequestPlan, Segment } from './http-plans';
import { isRef, lookup, resolveRefs, World } from './world';

/** Longest a fuzzed request may take before it counts as a hang. */
const ANSWER_WITHIN_MS = 20_000;
const PLACEHOLDER = '\u0001fuzz-placeholder\u0001';

function segment(s: Segment, world: World): string {
  if ('raw' in s) return s.raw;
  const id = lookup(world, s.id.$world);
  switch (s.disguise) {
    case undefined:
      return id;
    case 'upper':
      return id.toUpperCase();
    case 'braces':
      return `%7B${id}%7D`;
    case 'urn':
      return `urn:uuid:${id}`;
    case 'suffix':
      return `${id}0`;
    case 'chop':
      return id.slice(0, -1);
  }
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function authorization(plan: RequestPlan, world: World): string | undefined {
  const actor = plan.actor;
  if ('header' in actor) return actor.header;
  if ('as' in actor) return actor.as === 'anonymous' ? undefined : `Bearer ${world[actor.as].token}`;
  const token = world.me.token;
  switch (actor.mangled) {
    case 'suffix':
      return `Bearer ${token}x`;
    case 'scheme-case':
      return `bEARER ${token}`;
    case 'alg-none': {
      const payload = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as unknown;
      return `Bearer ${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(payload)}.`;
    }
    case 'refresh-token':
      return `Bearer ${world.me.refreshToken}`;
    case 'twice':
      return `Bearer ${token}, Bearer ${token}`;
  }
}

/** A PNG whose header declares 100,000 × 100,000 pixels and holds none: cheap to send, ruinous to decode. */
function pngBombHeader(): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(100_000, 0);
  header.writeUInt32BE(100_000, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([
    signature,
    chunk('IHDR', header),
    chunk('IDAT', Buffer.alloc(16)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function fileBytes(part: FilePart, world: World): Buffer {
  switch (part.bytes) {
    case 'jpeg':
      return world.jpeg;
    case 'junk':
      return Buffer.from('this is not an image at all, just text pretending');
    case 'png-bomb-header':
      return pngBombHeader();
    case 'oversize':
      // Over the fuzzed app's RECEIPT_MAX_BYTES (64 KiB), JPEG magic first.
      return Buffer.concat([world.jpeg.subarray(0, 4), Buffer.alloc(70_000, 0x41)]);
    case 'empty':
      return Buffer.alloc(0);
  }
}

/** `{...}` of `value` with raw `text` as the value of `at` (or `text` as a first member when `at` is null). */
function injected(base: Record<string, unknown>, at: string | null, text: string, world: World): string {
  const value = resolveRefs(base, world) as Record<string, unknown>;
  if (at === null) {
    const rest = JSON.stringify(value);
    return rest === '{}' ? `{${text}}` : `{${text},${rest.slice(1)}`;
  }
  const withPlaceholder = JSON.stringify({ ...value, [at]: PLACEHOLDER });
  return withPlaceholder.replace(JSON.stringify(PLACEHOLDER), text);
}

function duplicated(plan: Extract<BodyPlan, { kind: 'duplicate' }>, world: World): string {
  const junk = resolveRefs(plan.junk, world);
  const value = resolveRefs(plan.base, world) as Record<string, unknown>;
  const base = JSON.stringify(plan.prop in value ? value : { ...value, [plan.prop]: junk });
  const member = `${JSON.stringify(plan.prop)}:${JSON.stringify(junk) ?? 'null'}`;
  return plan.junkFirst ? `{${member},${base.slice(1)}` : `${base.slice(0, -1)},${member}}`;
}

function withBody(request: Test, body: BodyPlan, world: World): Test {
  // Sent as they are: superagent would serialize a Buffer under a JSON type as {"type":"Buffer",…}.
  const typed = (contentType: string | null, payload: string | Buffer) =>
    (contentType === null ? request : request.set('Content-Type', contentType))
      .serialize((body: unknown) => body as string)
      .send(payload);
  switch (body.kind) {
    case 'none':
      return request;
    case 'json':
      return typed('application/json', JSON.stringify(resolveRefs(body.value, world)) ?? 'null');
    case 'inject':
      return typed('application/json', injected(body.base, body.at, body.text, world));
    case 'duplicate':
      return typed('application/json', duplicated(body, world));
    case 'retyped': {
      const text = JSON.stringify(resolveRefs(body.base, world));
      const bytes =
        body.encoding === 'utf16le'
          ? Buffer.from(text, 'utf16le')
          : Buffer.concat([Buffer.from(body.encoding === 'bom' ? [0xef, 0xbb, 0xbf] : []), Buffer.from(text)]);
      return typed(body.contentType, bytes);
    }
    case 'raw':
      return typed(body.contentType, body.text);
    case 'bytes':
      return typed(body.contentType, Buffer.from(body.bytes));
    case 'multipart': {
      let multipart = request;
      for (const [name, value] of body.fields) multipart = multipart.field(name, value);
      for (const file of body.files) {
        multipart = multipart.attach(file.field, fileBytes(file, world), {
          filename: file.filename,
          contentType: file.contentType,
        });
      }
      // An empty form still goes as multipart.
      return body.files.length + body.fields.length === 0 ? multipart.type('form') : multipart;
    }
  }
}

/** Sends the plan to `method template` as the world of the moment makes it; rejects if no answer comes. */
export function send(t: TestApp, world: World, method: string, template: string, plan: RequestPlan): Promise<Response> {
  const path = template.replace(/\{([^}]+)\}/g, (_, name: string) => segment(plan.segments[name], world));
  const query = plan.query
    .map(([key, value]) => `${key}=${isRef(value) ? encodeURIComponent(lookup(world, value.$world)) : value}`)
    .join('&');
  const url = query ? `${path}?${query}` : path;
  let request = t.http[method.toLowerCase() as 'get' | 'post' | 'patch' | 'delete'](url).timeout({
    deadline: ANSWER_WITHIN_MS,
  });
  const auth = authorization(plan, world);
  if (auth !== undefined) request = request.set('Authorization', auth);
  for (const [name, value] of Object.entries(plan.headers)) request = request.set(name, value);
  return withBody(request, plan.body, world).then(
    (res) => res,
    (error: Error & { timeout?: number }) => {
      throw new Error(`${method} ${url} was not answered: ${error.message}`);
    },
  );
}

const ERROR_KEYS = new Set(['statusCode', 'error', 'message', 'requestId', 'details', 'current']);

/**
 * What every answer must be, whatever was sent: not a 5xx, and an error in the contract's
 * shape (`{statusCode, error, message, requestId, details?}`, JSON, the status in the body,
 * the request id of the header). Returns what is wrong, or null.
 */
export function contractViolation(res: Response, allowedStatuses: Set<number>): string | null {
  if (res.status >= 500) return `answered ${res.status}`;
  if (!allowedStatuses.has(res.status) && !(res.status >= 200 && res.status < 300)) {
    return `answered ${res.status}, which the operation does not document`;
  }
  if (res.status < 400) return null;
  if (!/^application\/json/.test(String(res.headers['content-type']))) {
    return `error answer is ${String(res.headers['content-type'])}, not JSON`;
  }
  const body = res.body as Record<string, unknown>;
  const problems: string[] = [];
  if (body.statusCode !== res.status) problems.push(`statusCode ${String(body.statusCode)}`);
  if (body.error !== STATUS_CODES[res.status]) problems.push(`error ${JSON.stringify(body.error)}`);
  if (typeof body.message !== 'string' || body.message.length === 0) problems.push('message is not a sentence');
  if (typeof body.requestId !== 'string' || body.requestId !== res.headers['x-request-id']) {
    problems.push('requestId is not the X-Request-ID');
  }
  if (body.details !== undefined) {
    const details = body.details as unknown[];
    const wellFormed =
      Array.isArray(details) &&
      details.every(
        (d) =>
          typeof d === 'object' &&
          d !== null &&
          Object.keys(d).sort().join() === 'field,problem' &&
          typeof (d as { field: unknown }).field === 'string' &&
          typeof (d as { problem: unknown }).problem === 'string',
      );
    if (!wellFormed) problems.push('details are not [{field, problem}]');
  }
  const extra = Object.keys(body).filter((key) => !ERROR_KEYS.has(key));
  if (extra.length > 0) problems.push(`unexpected fields ${extra.join(', ')}`);
  if ((res.status === 429 || res.status === 503) && !res.headers['retry-after']) problems.push('no Retry-After');
  return problems.length > 0 ? `error body: ${problems.join('; ')} in ${JSON.stringify(body).slice(0, 300)}` : null;
}
