import { INestApplicationContext, NotFoundException } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import { MessageMappingProperties } from '@nestjs/websockets/gateway-metadata-explorer';
import type { IncomingMessage, Server } from 'node:http';
import { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { EMPTY, Observable, concatMap, filter } from 'rxjs';
import { RawData, WebSocket, WebSocketServer } from 'ws';
import { AllExceptionsFilter, errorHeaders } from '../common/http/all-exceptions.filter';
import { requestId } from '../common/logging/logging.module';
import { describeJsonProblem, parseStrictJson } from '../common/http/strict-json';
import { TokenBucket } from '../common/rate-limit/token-bucket';
import { CloseCode } from './list-connection';
import { errorFrame } from './ws-error.filter';

/** Decides on an upgrade before the 101: resolves with what the gateway reads as `request.handshake`, or throws an HttpException. */
export type HandshakeCheck = (request: IncomingMessage, params: Record<string, string>) => Promise<unknown>;

export interface ListSocketOptions {
  check: HandshakeCheck;
  /** What `check` admitted did not become a socket (the WebSocket layer refused the upgrade, or the client left). */
  abandoned: (handshake: unknown) => void;
  /** Largest client frame; bigger ones close the socket (1009). */
  maxPayload: number;
  /** Client frames per second per connection (burst twice that); beyond: closed with 1008. */
  messagesPerSecond: number;
  /** Milliseconds now, from the app's Clock. */
  now: () => number;
}

/** A `{type, payload}` frame as the app sends and receives it. */
export interface Frame {
  type: string;
  payload?: unknown;
}

interface Route {
  pattern: RegExp;
  keys: string[];
  server: WebSocketServer;
}

const SUPPORTED = 'Unsupported frame: send {"type":"ping"} or {"type":"item:checking","payload":{"itemId":"…"}}.';
const BINARY = 'Binary frames are not accepted: send JSON text.';

/** `/ws/lists/:listId` → a regex with one group per `:param`. */
function compile(path: string): Pick<Route, 'pattern' | 'keys'> {
  const keys: string[] = [];
  const source = path
    .split('/')
    .map((part) => {
      if (!part.startsWith(':')) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      keys.push(part.slice(1));
      return '([^/]+)';
    })
    .join('/');
  return { pattern: new RegExp(`^${source}/?$`), keys };
}

function text(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return data instanceof ArrayBuffer ? Buffer.from(data).toString('utf8') : data.toString('utf8');
}

/**
 * `WsAdapter` as the app's socket protocol needs it, the rest left as Nest builds it:
 * - gateway paths may hold parameters (`/ws/lists/:listId`), where WsAdapter matches exactly;
 * - `check` runs before the 101, so a refusal is a real HTTP answer (401/403/404/409, the
 *   contract's error body) instead of a socket that opens and closes; what it admitted
 *   but `ws` did not upgrade goes to `abandoned` (a reserved socket slot is given back);
 * - frames are `{type, payload}` instead of `{event, data}`, handled one at a time per
 *   socket in arrival order, with a flood limit; a frame that is not strict JSON
 *   (`parseStrictJson`), not `{type}` or of an unknown type gets an `error` frame, the
 *   same `errorFrame` the gateway's WsErrorFilter sends for a frame its handler refused.
 */
export class ListSocketAdapter extends WsAdapter {
  private readonly routes: Route[] = [];
  private attached = false;
  private readonly errors = new AllExceptionsFilter();

  constructor(
    app: INestApplicationContext,
    private readonly options: ListSocketOptions,
  ) {
    super(app);
  }

  override create(port: number, options: { path?: string } & Record<string, unknown> = {}): WebSocketServer {
    const { path, ...rest } = options;
    if (port !== 0 || !path || !this.httpServer) throw new Error('gateways share the HTTP server and name a path');
    const server = this.bindErrorHandler(
      new WebSocketServer({ ...rest, noServer: true, maxPayload: this.options.maxPayload }),
    ) as WebSocketServer;
    this.routes.push({ ...compile(path), server });
    if (!this.attached) {
      this.attached = true;
      (this.httpServer as Server).on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
        void this.upgrade(request, socket, head);
      });
    }
    return server;
  }

  override bindMessageHandlers(
    client: WebSocket,
    handlers: MessageMappingProperties[],
    transform: (data: unknown) => Observable<unknown>,
  ): void {
    const byType = new Map(handlers.map((handler) => [handler.message as string, handler]));
    const flood = new TokenBucket(this.options.messagesPerSecond, this.options.now);
    const messages = new Observable<{ data: RawData; isBinary: boolean }>((subscriber) => {
      const listener = (data: RawData, isBinary: boolean) => subscriber.next({ data, isBinary });
      client.on('message', listener);
      client.once('close', () => subscriber.complete());
      return () => client.off('message', listener);
    });
    messages
      .pipe(
        concatMap(({ data, isBinary }) => {
          if (!flood.take()) {
            client.close(CloseCode.PolicyViolation, 'too many messages');
            return EMPTY;
          }
          const frame = isBinary ? BINARY : this.parse(data);
          const handler = typeof frame === 'string' ? undefined : byType.get(frame.type);
          if (typeof frame === 'string' || !handler) {
            this.sendFrame(client, errorFrame(typeof frame === 'string' ? frame : SUPPORTED));
            return EMPTY;
          }
          return transform(handler.callback(frame.payload ?? {}, frame.type));
        }),
        filter((result) => result !== undefined && result !== null),
      )
      .subscribe((result) => this.sendFrame(client, result as Frame));
  }

  sendFrame(client: WebSocket, frame: Frame): void {
    if (client.readyState === WebSocket.OPEN) client.send(JSON.stringify(frame));
  }

  /** The frame, or why it is refused: the same strict JSON as request bodies (no prototype keys, duplicates, deep nesting). */
  private parse(data: RawData): Frame | string {
    const parsed = parseStrictJson(text(data));
    if (!parsed.ok) {
      const detail = describeJsonProblem(parsed.problem);
      return detail ? `${detail.field} ${detail.problem}.` : 'The frame is not valid JSON.';
    }
    const type = (parsed.value as Frame | null)?.type;
    return typeof type === 'string' && !Array.isArray(parsed.value) ? (parsed.value as Frame) : SUPPORTED;
  }

  private async upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    try {
      const pathname = new URL(request.url ?? '/', 'http://localhost').pathname;
      for (const route of this.routes) {
        const match = route.pattern.exec(pathname);
        if (!match) continue;
        const params = Object.fromEntries(route.keys.map((key, i) => [key, decodeURIComponent(match[i + 1])]));
        const handshake = await this.options.check(request, params);
        (request as IncomingMessage & { handshake?: unknown }).handshake = handshake;
        // `ws` calls back at once, or never (it answered the refusal itself, or the socket is gone).
        let upgraded = false;
        route.server.handleUpgrade(request, socket, head, (ws) => {
          upgraded = true;
          route.server.emit('connection', ws, request);
        });
        if (!upgraded) this.options.abandoned(handshake);
        return;
      }
      throw new NotFoundException('No WebSocket endpoint at this path.');
    } catch (error) {
      // Expected refusals are HttpExceptions; anything else is logged by toBody and answered 500.
      this.refuse(request, socket, error);
    }
  }

  /** A real HTTP answer on the upgrading socket, with the contract's error body and the request id. */
  private refuse(request: IncomingMessage, socket: Duplex, error: unknown): void {
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const response = new ServerResponse(request);
    response.assignSocket(socket as never);
    response.shouldKeepAlive = false;
    const body = this.errors.toBody(error, requestId(request, response));
    response.writeHead(body.statusCode, {
      ...errorHeaders(error, body.statusCode),
      'Content-Type': 'application/json; charset=utf-8',
      Connection: 'close',
    });
    response.end(JSON.stringify(body), () => socket.destroy());
  }
}
