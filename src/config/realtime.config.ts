import { configNamespace, integer } from './env';

export const realtimeConfig = configNamespace(
  'realtime',
  {
    /** Largest client frame in bytes; bigger ones close the socket (1009). */
    WS_MAX_PAYLOAD: integer({ default: 65_536, min: 1024, max: 16_777_216 }),
    /** Past this many unsent bytes a connection is paused (never fed a gap) … */
    WS_MAX_BUFFERED_BYTES: integer({ default: 1_048_576, min: 1024, max: 1_073_741_824 }),
    /** … and one that stays paused this long is closed with 4000 (resume with `since`). */
    WS_SLOW_READER_MS: integer({ default: 10_000, min: 50, max: 600_000 }),
    /** Server ping interval; a peer that missed the previous pong is dropped. */
    WS_HEARTBEAT_MS: integer({ default: 30_000, min: 100, max: 600_000 }),
    /** Client frames per second per connection (burst twice that); beyond: closed with 1008. */
    WS_MESSAGES_PER_SEC: integer({ default: 20, min: 1, max: 10_000 }),
    /** `item:checking` relays per second per connection (burst twice that); beyond: dropped. */
    WS_CHECKING_PER_SEC: integer({ default: 5, min: 1, max: 1000 }),
    /**
     * The app reconnects without `since`: within this long of its session's last proven
     * receipt on a list (a heartbeat ping carrying the seq, answered by the client's pong),
     * what it missed is replayed first.
     */
    WS_RESUME_WINDOW_SEC: integer({ default: 600, min: 0, max: 86_400 }),
    /** POST /ws/ticket lifetime (single use). */
    WS_TICKET_TTL_SEC: integer({ default: 60, min: 1, max: 3600 }),
    /** Safety net behind NOTIFY: every open list is re-checked against the log this often. */
    REALTIME_SWEEP_MS: integer({ default: 5000, min: 50, max: 600_000 }),
    /** The event log is kept this long … */
    EVENT_RETENTION_DAYS: integer({ default: 7, min: 1, max: 3650 }),
    /** … and at most this many events per list. */
    EVENT_RETENTION_MAX: integer({ default: 10_000, min: 10, max: 10_000_000 }),
    /** How often the log is trimmed (one instance at a time). */
    EVENT_TRIM_INTERVAL_SEC: integer({ default: 600, min: 1, max: 86_400 }),
  },
  (v) => ({
    maxPayloadBytes: v.WS_MAX_PAYLOAD,
    maxBufferedBytes: v.WS_MAX_BUFFERED_BYTES,
    slowReaderMs: v.WS_SLOW_READER_MS,
    heartbeatMs: v.WS_HEARTBEAT_MS,
    messagesPerSecond: v.WS_MESSAGES_PER_SEC,
    checkingPerSecond: v.WS_CHECKING_PER_SEC,
    resumeWindowMs: v.WS_RESUME_WINDOW_SEC * 1000,
    ticketTtlMs: v.WS_TICKET_TTL_SEC * 1000,
    sweepMs: v.REALTIME_SWEEP_MS,
    eventRetentionMs: v.EVENT_RETENTION_DAYS * 86_400_000,
    eventRetentionMax: v.EVENT_RETENTION_MAX,
    trimIntervalMs: v.EVENT_TRIM_INTERVAL_SEC * 1000,
  }),
);

export type RealtimeConfig = ReturnType<typeof realtimeConfig>;
