import { MESSAGE_METADATA } from '@nestjs/websockets/constants';
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { WebSocket } from 'ws';
import { parseStrictJson } from '../src/common/http/strict-json';
import type { EphemeralPayloads, ListEventType } from '../src/realtime/list-events';
import { RealtimeGateway } from '../src/realtime/realtime.gateway';
import { useTestApp } from './support/app';
import { junkString, junkValue, prototypeKeyText } from './support/fuzz/junk';
import { assertFuzz, fuzzParameters, fuzzTimeout, runsPerOperation } from './support/fuzz/settings';
import { Registered, registerUser } from './support/factories';
import { addItem, ownerAndMember } from './support/lists';
import { Frame, TestSocket, wsUrl } from './support/ws-client';

/** Largest client frame of the fuzzed app (WS_MAX_PAYLOAD): bigger ones close the socket with 1009. */
const MAX_PAYLOAD = 4096;

/**
 * Every frame type of the typed event map, server to client: sent by a client they are
 * unknown types. Listing them against the map's keys makes a type added to the map fail to
 * compile here until it is fuzzed too.
 */
const SERVER_FRAME_TYPES: Record<ListEventType | keyof EphemeralPayloads, true> = {
  'item:added': true,
  'item:updated': true,
  'item:removed': true,
  'list:updated': true,
  'store:updated': true,
  'trip:completed': true,
  'trip:updated': true,
  'item:checking': true,
  presence: true,
};

/** Frame types the gateway handles (`@SubscribeMessage`); a handler missing here fails the first test. */
const CLIENT_FRAME_TYPES = ['item:checking', 'ping'];

/** A frame as sent: text, bytes as a text frame (not UTF-8), or a binary frame. */
interface SentFrame {
  why: string;
  data: string | number[];
  binary?: boolean;
}

/** What the sender must see after the frame (before its ping's pong), and what the list's other sockets may. */
type Outcome =
  { kind: 'pong' } | { kind: 'relay'; itemId: string } | { kind: 'error' } | { kind: 'close'; code: number };

interface Targets {
  /** Ids of items on the sender's list, and one on another list. */
  ownItem: string;
  foreignItem: string;
}

const text = (why: string, data: string): SentFrame => ({ why, data });
const json = (why: string, value: unknown): SentFrame => ({ why, data: JSON.stringify(value) ?? 'null' });

function framesFor(targets: Targets): fc.Arbitrary<SentFrame> {
  const itemIds = fc.constantFrom(
    targets.ownItem,
    targets.ownItem.toUpperCase(),
    targets.foreignItem,
    randomUUID(),
    'not-a-uuid',
    '',
  );
  const checkingPayload = fc.oneof(
    itemIds.map((itemId) => ({ itemId })),
    fc
      .tuple(itemIds, fc.string({ minLength: 1, maxLength: 8 }), junkValue)
      .map(([itemId, key, junk]) => ({ itemId, [key]: junk })),
    junkValue.map((itemId) => ({ itemId })),
    junkValue,
  );
  const unknownType = fc.oneof(
    fc.constantFrom(...(Object.keys(SERVER_FRAME_TYPES)).filter((t) => !CLIENT_FRAME_TYPES.includes(t))),
    fc.constantFrom(
      '__proto__',
      'constructor',
      'toString',
      'hasOwnProperty',
      'PING',
      ' ping',
      'ping\u0000',
      'error',
      'pong',
    ),
    junkString.filter((s) => s.length < 200),
  );
  return fc.oneof(
    { weight: 2, arbitrary: junkValue.map((payload) => json('ping with a junk payload', { type: 'ping', payload })) },
    {
      weight: 4,
      arbitrary: checkingPayload.map((payload) => json('item:checking', { type: 'item:checking', payload })),
    },
    {
      weight: 3,
      arbitrary: fc.tuple(unknownType, junkValue).map(([type, payload]) => json('an unknown type', { type, payload })),
    },
    { weight: 1, arbitrary: junkValue.map((type) => json('a type that is not a string', { type })) },
    { weight: 1, arbitrary: junkValue.map((value) => json('any JSON', value)) },
    {
      weight: 2,
      arbitrary: fc
        .oneof(
          fc.constantFrom('not json', '{', '{"type":"ping",}', "{'type':'ping'}", '', ' ', '[]', '"ping"', 'null', '1'),
          prototypeKeyText.map((key) => `{"type":"ping","payload":{${key}:{"x":1}}}`),
          prototypeKeyText.map((key) => `{${key}:{"type":"ping"},"type":"ping"}`),
          fc.constant('{"type":"item:checking","type":"ping"}'),
          fc
            .constantFrom(17, 100, 1000)
            .map((depth) => `{"type":"ping","payload":${'['.repeat(depth)}${']'.repeat(depth)}}`),
          fc
            .constantFrom('"\\u0000"', '"\\ud800"', '"ping\\u0000"')
            .map((s) => `{"type":"item:checking","payload":{"itemId":${s}}}`),
        )
        .map((data) => text('raw text', data)),
    },
    { weight: 1, arbitrary: fc.constant(text('ping as JSON with a byte order mark', '\ufeff{"type":"ping"}')) },
    {
      weight: 1,
      arbitrary: fc
        .oneof(fc.uint8Array({ maxLength: 64 }), fc.constant(new Uint8Array(Buffer.from('{"type":"ping"}'))))
        .map((bytes): SentFrame => ({ why: 'a binary frame', data: [...bytes], binary: true })),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom<number[]>([0xff], [0x7b, 0xc0, 0xaf, 0x7d], [0xed, 0xa0, 0x80])
        .map((bytes): SentFrame => ({ why: 'a text frame that is not UTF-8', data: bytes })),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(MAX_PAYLOAD - 100, MAX_PAYLOAD + 1, 100_000)
        .map((size) => json('a large frame', { type: 'ping', payload: 'x'.repeat(size - 30) })),
    },
  );
}

function byteLength(frame: SentFrame): number {
  return typeof frame.data === 'string' ? Buffer.byteLength(frame.data) : frame.data.length;
}

/**
 * What the server must do with the frame, from the protocol (docs/REALTIME.md): close over
 * the size limit (1009) or on text that is not UTF-8 (1007); a pong for a ping; a relay for
 * an item:checking naming an item of the list; one error frame for anything else.
 */
function expected(frame: SentFrame, targets: Targets): Outcome {
  if (byteLength(frame) > MAX_PAYLOAD) return { kind: 'close', code: 1009 };
  if (frame.binary) return { kind: 'error' };
  if (typeof frame.data !== 'string') return { kind: 'close', code: 1007 };
  const parsed = parseStrictJson(frame.data); // a byte order mark included: frames are JSON text as it is
  if (!parsed.ok) return { kind: 'error' };
  const value = parsed.value as { type?: unknown; payload?: unknown } | null;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { kind: 'error' };
  if (value.type === 'ping') return { kind: 'pong' };
  if (value.type !== 'item:checking') return { kind: 'error' };
  const payload = value.payload as { itemId?: unknown } | null | undefined;
  const itemId =
    typeof payload === 'object' && payload !== null && !Array.isArray(payload) ? payload.itemId : undefined;
  return typeof itemId === 'string' && itemId.toLowerCase() === targets.ownItem
    ? { kind: 'relay', itemId: targets.ownItem }
    : { kind: 'error' };
}

function send(socket: TestSocket, frame: SentFrame): void {
  if (typeof frame.data === 'string') socket.ws.send(frame.data);
  else socket.ws.send(Buffer.from(frame.data), { binary: frame.binary === true });
}

describe('WebSocket fuzzing: client frames on /ws/lists/:id', () => {
  const t = useTestApp({
    WS_MAX_PAYLOAD: String(MAX_PAYLOAD),
    // The flood limits have their own tests (realtime-edges): here every frame is answered.
    WS_MESSAGES_PER_SEC: '10000',
    WS_CHECKING_PER_SEC: '1000',
  });
  const opened: WebSocket[] = [];

  afterEach(() => {
    for (const ws of opened.splice(0)) if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
  });

  async function open(u: Registered, listId: string): Promise<TestSocket> {
    const socket = await TestSocket.open(wsUrl(t, `/ws/lists/${listId}?token=${u.token}`));
    opened.push(socket.ws);
    await socket.waitFor((frames) => frames.some((f) => f.type === 'presence'), 5000, 'presence');
    return socket;
  }

  it('should fuzz exactly the frame types the gateway handles', () => {
    const prototype = RealtimeGateway.prototype as unknown as Record<string, unknown>;
    const handled = Object.getOwnPropertyNames(prototype)
      .map((name) => Reflect.getMetadata(MESSAGE_METADATA, prototype[name] as object) as string | undefined)
      .filter((type): type is string => typeof type === 'string');
    expect(handled.sort()).toEqual([...CLIENT_FRAME_TYPES].sort());
  });

  const RUNS = 150;
  it(
    'should answer every client frame with a pong, a relay, one error frame or a documented close, and keep serving the list',
    async () => {
      const { owner, member, listId } = await ownerAndMember(t);
      const other = await registerUser(t, { name: 'Otto' });
      const targets: Targets = {
        ownItem: (await addItem(t, owner, listId, { name: 'Milk' })).id,
        foreignItem: (await addItem(t, other, other.listId, { name: 'Tea' })).id,
      };
      let sender = await open(owner, listId);
      const bystander = await open(member, listId);
      const outcomes = new Map<string, number>();

      await assertFuzz(
        fc.asyncProperty(framesFor(targets), async (frame) => {
          const outcome = expected(frame, targets);
          const label = outcome.kind === 'close' ? `close ${outcome.code}` : outcome.kind;
          outcomes.set(label, (outcomes.get(label) ?? 0) + 1);
          const before = sender.frames.length;
          const relaysBefore = bystander.frames.filter((f) => f.type === 'item:checking').length;
          send(sender, frame);
          if (outcome.kind === 'close') {
            expect({ why: frame.why, code: await sender.waitForClose() }).toEqual({
              why: frame.why,
              code: outcome.code,
            });
            sender = await open(owner, listId); // a new socket works at once
            await sender.sync();
            return;
          }
          await sender.sync();
          const answers = sender.frames.slice(before).filter((f) => f.type !== 'presence');
          const errors = answers.filter((f) => f.type === 'error');
          expect({ why: frame.why, closed: sender.closeCode }).toEqual({ why: frame.why, closed: undefined });
          if (outcome.kind === 'error') {
            expect({ why: frame.why, errors: errors.length, message: typeof errors[0]?.payload?.message }).toEqual({
              why: frame.why,
              errors: 1,
              message: 'string',
            });
          } else {
            expect({ why: frame.why, errors }).toEqual({ why: frame.why, errors: [] });
          }
          if (outcome.kind === 'pong') {
            expect({ why: frame.why, pongs: answers.filter((f) => f.type === 'pong').length }).toEqual({
              why: frame.why,
              pongs: 2,
            });
          }
          if (outcome.kind === 'relay') {
            await bystander.waitFor(
              (frames) => frames.filter((f) => f.type === 'item:checking').length > relaysBefore,
              5000,
              'the relay',
            );
          }
        }),
        fuzzParameters(runsPerOperation(RUNS)),
      );

      if (process.env.FUZZ_STATS) process.stdout.write(`frames: ${JSON.stringify(Object.fromEntries(outcomes))}\n`);
      // The other socket on the list saw nothing but presence, its own pongs and genuine relays.
      await bystander.sync();
      const junk = bystander.frames.filter(
        (f: Frame) =>
          f.type !== 'presence' &&
          f.type !== 'pong' &&
          !(
            f.type === 'item:checking' &&
            JSON.stringify(f.payload) === JSON.stringify({ itemId: targets.ownItem, userId: owner.userId })
          ),
      );
      expect(junk).toEqual([]);
      expect(bystander.closeCode).toBeUndefined();
      await t.http.get('/health').expect(200);
    },
    fuzzTimeout(RUNS, 200),
  );
});
