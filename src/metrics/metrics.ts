import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DataSource } from 'typeorm';

/** The route label of a request no route answered (404s, bodies refused before routing): never its raw path. */
export const UNMATCHED_ROUTE = '(unmatched)';

/** The pg pool TypeORM's PostgreSQL driver keeps as `master`. */
interface PoolCounts {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

type Observe = (seconds: number) => void;

/** One route's label children, made on first use: a request only looks them up. */
class RouteSeries {
  private readonly byMethod = new Map<string, Map<number, Observe>>();

  constructor(
    private readonly histogram: Histogram<'method' | 'route' | 'status'>,
    private readonly route: string,
  ) {}

  observer(method: string, status: number): Observe {
    let byStatus = this.byMethod.get(method);
    if (!byStatus) this.byMethod.set(method, (byStatus = new Map<number, Observe>()));
    let observe = byStatus.get(status);
    if (!observe) {
      const child = this.histogram.labels({ method, route: this.route, status: String(status) });
      observe = (seconds) => child.observe(seconds);
      byStatus.set(status, observe);
    }
    return observe;
  }
}

/**
 * Whether a matched route's path is an endpoint's template. Nest mounts global middleware
 * (pino-http) as the route `/{*path}`: a request that matched nothing else last matched that.
 */
function isTemplate(path: unknown): path is string {
  return typeof path === 'string' && !path.includes('{*');
}

const STARTED = Symbol('metrics.startedAt');

type TimedResponse = ServerResponse & { [STARTED]?: number; req: IncomingMessage & { route?: { path?: string } } };

/**
 * The server's Prometheus metrics, in a registry of its own (several apps share a process in
 * the tests). Code where something happens calls a method here, never prom-client. Gauges of
 * state (database pool, event-loop delay) are read when scraped; counters and the request
 * histogram are updated on the spot, with label children made once and then looked up.
 */
@Injectable()
export class Metrics implements OnModuleDestroy {
  readonly registry = new Registry();
  private readonly requestDuration: Histogram<'method' | 'route' | 'status'>;
  private readonly openSockets: Gauge;
  private readonly replays: Counter<'from'>;
  private readonly resyncs: Counter;
  private readonly throttles: Counter<'limit'>;
  private readonly routes = new WeakMap<object, RouteSeries>();
  private readonly unmatched: RouteSeries;
  /** Frames sent by type, counted here (one per socket per event) and handed to prom-client when scraped. */
  private readonly framesByType = new Map<string, number>();
  private readonly eventLoop = monitorEventLoopDelay({ resolution: 10 });

  /** Bound once: the `finish` listener of every timed response (`this` is the response). */
  readonly requestFinished: (this: ServerResponse) => void;

  constructor(@InjectDataSource() dataSource: DataSource) {
    const registers = [this.registry];
    this.requestDuration = new Histogram({
      name: 'cartsync_http_request_duration_seconds',
      help: 'HTTP requests by method, route template and status: time to the last byte of the answer.',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.unmatched = new RouteSeries(this.requestDuration, UNMATCHED_ROUTE);
    this.openSockets = new Gauge({
      name: 'cartsync_ws_open_sockets',
      help: 'WebSockets open on this instance.',
      registers,
    });
    const framesByType = this.framesByType;
    new Counter({
      name: 'cartsync_ws_frames_sent_total',
      help: 'Frames sent to list sockets, by type (durable events, resync, item:checking, presence).',
      labelNames: ['type'],
      registers,
      collect() {
        this.reset();
        for (const [type, count] of framesByType) this.inc({ type }, count);
      },
    });
    this.replays = new Counter({
      name: 'cartsync_ws_replays_total',
      help: 'Sockets that started by replaying missed events: asked with ?since= (since) or the app resuming (resume).',
      labelNames: ['from'],
      registers,
    });
    this.resyncs = new Counter({
      name: 'cartsync_ws_resyncs_total',
      help: 'resync frames sent: the missed events were no longer in the log (the client reloads the list).',
      registers,
    });
    this.throttles = new Counter({
      name: 'cartsync_throttled_total',
      help: 'Attempts refused by a throttle (HTTP 429, WebSocket handshakes included), by the first limit exceeded.',
      labelNames: ['limit'],
      registers,
    });
    const pool = (): PoolCounts | undefined => (dataSource.driver as { master?: PoolCounts }).master;
    const poolGauge = (name: string, help: string, read: (counts: PoolCounts) => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          const counts = pool();
          if (counts) this.set(read(counts));
        },
      });
    poolGauge('cartsync_db_pool_connections', 'Connections the database pool holds.', (p) => p.totalCount);
    poolGauge('cartsync_db_pool_idle', 'Idle connections in the database pool.', (p) => p.idleCount);
    poolGauge('cartsync_db_pool_waiting', 'Queries waiting for a database pool connection.', (p) => p.waitingCount);
    const eventLoop = this.eventLoop;
    eventLoop.enable();
    new Gauge({
      name: 'cartsync_eventloop_delay_seconds',
      help: 'Event-loop delay since the previous scrape, by quantile (and max).',
      labelNames: ['quantile'],
      registers,
      collect() {
        for (const q of [0.5, 0.9, 0.99]) this.set({ quantile: String(q) }, eventLoop.percentile(q * 100) / 1e9);
        this.set({ quantile: 'max' }, eventLoop.max / 1e9);
        eventLoop.reset();
      },
    });
    const observe = (res: TimedResponse) => this.observeRequest(res);
    this.requestFinished = function (this: ServerResponse) {
      observe(this);
    };
  }

  /** Express middleware: times every request, labelled once it finished (by then its route is known). */
  readonly timeRequests = (_req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    (res as TimedResponse)[STARTED] = performance.now();
    // `on`, not `once` (which wraps the listener in a new closure): a response finishes once.
    res.on('finish', this.requestFinished);
    next();
  };

  socketOpened(): void {
    this.openSockets.inc();
  }

  socketClosed(): void {
    this.openSockets.dec();
  }

  /** Once per frame per socket (a fan-out calls it for every socket of the list): a map increment. */
  frameSent(type: string): void {
    this.framesByType.set(type, (this.framesByType.get(type) ?? 0) + 1);
    if (type === 'resync') this.resyncs.inc();
  }

  replayed(from: 'since' | 'resume'): void {
    this.replays.inc({ from });
  }

  throttled(limit: string): void {
    this.throttles.inc({ limit });
  }

  /** The text exposition format, and its content type. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  onModuleDestroy(): void {
    this.eventLoop.disable();
  }

  private observeRequest(res: TimedResponse): void {
    const started = res[STARTED];
    if (started === undefined) return;
    const route = res.req.route;
    let series = route ? this.routes.get(route) : this.unmatched;
    if (!series) {
      series = isTemplate(route?.path) ? new RouteSeries(this.requestDuration, route.path) : this.unmatched;
      this.routes.set(route!, series);
    }
    series.observer(res.req.method ?? 'GET', res.statusCode)((performance.now() - started) / 1000);
  }
}
