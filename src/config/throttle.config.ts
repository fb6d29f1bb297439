import { configNamespace, integer } from './env';

/** At most `points` counted attempts per window of `durationSec`, the window opening at the first one. */
export interface Limit {
  points: number;
  durationSec: number;
}

const HOUR_SEC = 3600;
const MINUTE_SEC = 60;

/**
 * Throttles counted in PostgreSQL, so they hold across instances; beyond a limit → 429 with
 * Retry-After. "Failures" limits count every attempt while it runs and give it back when it
 * succeeds; the others count every attempt.
 */
export const throttleConfig = configNamespace(
  'throttle',
  {
    /** Wrong passwords per account (any email, known or not) per window; then even the right one is 429. */
    LOGIN_MAX_FAILURES: integer({ default: 10, min: 1, max: 10_000 }),
    /** Wrong passwords per client address per window, whatever the accounts. */
    LOGIN_MAX_FAILURES_PER_IP: integer({ default: 50, min: 1, max: 100_000 }),
    LOGIN_FAILURE_WINDOW_SEC: integer({ default: 900, min: 1, max: 86_400 }),
    /** Sign-ups per client address per window, successful or not (409 included). */
    REGISTER_MAX_PER_IP: integer({ default: 20, min: 1, max: 100_000 }),
    REGISTER_WINDOW_SEC: integer({ default: 3600, min: 1, max: 86_400 }),
    /** Reset mails per email address per hour; beyond, the answer stays 202 and no mail goes. */
    RESET_REQUESTS_PER_HOUR: integer({ default: 5, min: 1, max: 1000 }),
    /** Reset requests per client address per hour; beyond → 429. */
    RESET_REQUESTS_PER_IP_PER_HOUR: integer({ default: 20, min: 1, max: 100_000 }),
    /** Wrong reset codes per email per window (on top of RESET_MAX_ATTEMPTS per code). */
    RESET_CONFIRM_MAX_FAILURES: integer({ default: 10, min: 1, max: 10_000 }),
    /** Wrong reset codes per client address per window, whatever the emails. */
    RESET_CONFIRM_MAX_FAILURES_PER_IP: integer({ default: 50, min: 1, max: 100_000 }),
    RESET_CONFIRM_WINDOW_SEC: integer({ default: 900, min: 1, max: 86_400 }),
    /** Wrong invite codes per user per window before 429. */
    INVITE_MAX_FAILURES: integer({ default: 10, min: 1, max: 10_000 }),
    /** Wrong invite codes per client address per window before 429 (many accounts, one guesser). */
    INVITE_MAX_FAILURES_PER_IP: integer({ default: 30, min: 1, max: 100_000 }),
    INVITE_FAILURE_WINDOW_SEC: integer({ default: 900, min: 1, max: 86_400 }),
    /** WebSocket handshakes per user per minute (the app reconnects 3 s after a close); beyond → HTTP 429. */
    WS_HANDSHAKES_PER_MIN: integer({ default: 30, min: 1, max: 100_000 }),
    /** How often each instance deletes the counters whose window has ended. */
    THROTTLE_PURGE_INTERVAL_SEC: integer({ default: 300, min: 1, max: 86_400 }),
  },
  (v) => ({
    limits: {
      loginPerAccount: { points: v.LOGIN_MAX_FAILURES, durationSec: v.LOGIN_FAILURE_WINDOW_SEC },
      loginPerIp: { points: v.LOGIN_MAX_FAILURES_PER_IP, durationSec: v.LOGIN_FAILURE_WINDOW_SEC },
      registerPerIp: { points: v.REGISTER_MAX_PER_IP, durationSec: v.REGISTER_WINDOW_SEC },
      resetRequestPerAccount: { points: v.RESET_REQUESTS_PER_HOUR, durationSec: HOUR_SEC },
      resetRequestPerIp: { points: v.RESET_REQUESTS_PER_IP_PER_HOUR, durationSec: HOUR_SEC },
      resetConfirmPerAccount: { points: v.RESET_CONFIRM_MAX_FAILURES, durationSec: v.RESET_CONFIRM_WINDOW_SEC },
      resetConfirmPerIp: { points: v.RESET_CONFIRM_MAX_FAILURES_PER_IP, durationSec: v.RESET_CONFIRM_WINDOW_SEC },
      invitePerUser: { points: v.INVITE_MAX_FAILURES, durationSec: v.INVITE_FAILURE_WINDOW_SEC },
      invitePerIp: { points: v.INVITE_MAX_FAILURES_PER_IP, durationSec: v.INVITE_FAILURE_WINDOW_SEC },
      wsHandshakePerUser: { points: v.WS_HANDSHAKES_PER_MIN, durationSec: MINUTE_SEC },
    } satisfies Record<string, Limit>,
    purgeIntervalMs: v.THROTTLE_PURGE_INTERVAL_SEC * 1000,
  }),
);

export type ThrottleConfig = ReturnType<typeof throttleConfig>;
export type LimitName = keyof ThrottleConfig['limits'];
