import { registerAs } from '@nestjs/config';

export const realtimeConfig = registerAs('realtime', () => ({
  /** Largest client frame; bigger ones close the socket (1009). */
  maxPayloadBytes: Number(process.env.WS_MAX_PAYLOAD ?? 65_536),
  /** Past this many unsent bytes a connection is paused (never fed a gap) … */
  maxBufferedBytes: Number(process.env.WS_MAX_BUFFERED_BYTES ?? 1_048_576),
  /** … and one that stays paused this long is closed with 4000 (resume with `since`). */
  slowReaderMs: Number(process.env.WS_SLOW_READER_MS ?? 10_000),
  /** Server ping interval; a peer that missed the previous pong is dropped. */
  heartbeatMs: Number(process.env.WS_HEARTBEAT_MS ?? 30_000),
  /** Client frames per second per connection (burst twice that); beyond: closed with 1008. */
  messagesPerSecond: Number(process.env.WS_MESSAGES_PER_SEC ?? 20),
  /** `item:checking` relays per second per connection (burst twice that); beyond: dropped. */
  checkingPerSecond: Number(process.env.WS_CHECKING_PER_SEC ?? 5),
  ticketTtlMs: Number(process.env.WS_TICKET_TTL_SEC ?? 60) * 1000,
  /** Safety net behind NOTIFY: every open list is re-checked against the log this often. */
  sweepMs: Number(process.env.REALTIME_SWEEP_MS ?? 5000),
  eventRetentionMs: Number(process.env.EVENT_RETENTION_DAYS ?? 7) * 86_400_000,
  eventRetentionMax: Number(process.env.EVENT_RETENTION_MAX ?? 10_000),
  trimIntervalMs: Number(process.env.EVENT_TRIM_INTERVAL_SEC ?? 600) * 1000,
  idempotencyTtlMs: Number(process.env.IDEMPOTENCY_TTL_HOURS ?? 24) * 3_600_000,
}));

export type RealtimeConfig = ReturnType<typeof realtimeConfig>;
