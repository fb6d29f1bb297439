import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { DataSource } from 'typeorm';
import { authConfig } from '../../config/auth.config';
import { LimitName, throttleConfig } from '../../config/throttle.config';
import { Clock } from '../clock/clock';
import { deriveKey, hmac } from '../crypto/secrets';
import { Metrics } from '../../metrics/metrics';
import { ApiError } from '../http/error-body';
import { throttledAddress } from '../net/client-address';

/** The table the migration creates in rate-limiter-flexible's layout (key, points, expire). */
export const THROTTLES_TABLE = 'throttles';

/**
 * Who one attempt counts against, per limit: an email, a user id or a client address. A
 * subject that is not known (null: a request without an address) is not counted.
 */
export type Subjects = Partial<Record<LimitName, string | null>>;

interface LimitTerms {
  /** The key's first part in the table, readable by an operator (the rest is a keyed hash). */
  prefix: string;
  /** Whose attempts: an address is counted per throttledAddress (an IPv6 /64). */
  per: 'account' | 'address' | 'user';
  /** The 429's message, before "Please try again in …". */
  refusal: string;
}

const LIMITS: Record<LimitName, LimitTerms> = {
  loginPerAccount: {
    prefix: 'login-account',
    per: 'account',
    refusal: 'Too many failed sign-in attempts for this account.',
  },
  loginPerIp: { prefix: 'login-ip', per: 'address', refusal: 'Too many failed sign-in attempts from your network.' },
  registerPerIp: { prefix: 'register-ip', per: 'address', refusal: 'Too many sign-ups from your network.' },
  resetRequestPerAccount: {
    prefix: 'reset-request-account',
    per: 'account',
    refusal: 'Too many password reset requests for this account.',
  },
  resetRequestPerIp: {
    prefix: 'reset-request-ip',
    per: 'address',
    refusal: 'Too many password reset requests from your network.',
  },
  resetConfirmPerAccount: {
    prefix: 'reset-confirm-account',
    per: 'account',
    refusal: 'Too many wrong reset codes for this account.',
  },
  resetConfirmPerIp: {
    prefix: 'reset-confirm-ip',
    per: 'address',
    refusal: 'Too many wrong reset codes from your network.',
  },
  invitePerUser: { prefix: 'invite-user', per: 'user', refusal: 'Too many wrong invite codes.' },
  invitePerIp: { prefix: 'invite-ip', per: 'address', refusal: 'Too many wrong invite codes from your network.' },
  wsHandshakePerUser: { prefix: 'ws-handshake-user', per: 'user', refusal: 'Too many connection attempts.' },
};

/** "1 minute", "15 minutes", "2 hours": the wait, rounded up, for people. */
function inWords(seconds: number): string {
  const minutes = Math.max(1, Math.ceil(seconds / 60));
  if (minutes < 120) return minutes === 1 ? '1 minute' : `${minutes} minutes`;
  return `${Math.ceil(minutes / 60)} hours`;
}

/**
 * The throttles of THROTTLE config, counted by rate-limiter-flexible in PostgreSQL (one row per
 * limit and subject, a fixed window that opens at the first attempt), so they hold across
 * instances. Counting runs on a pool connection of its own, outside any unit of work: an
 * attempt stays counted when the request then fails. Subjects are stored only as a keyed
 * hash (HMAC with a key derived from JWT_SECRET): no email or address sits in the table.
 * Each instance deletes ended windows every THROTTLE_PURGE_INTERVAL_SEC.
 */
@Injectable()
export class Throttles implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(Throttles.name);
  private readonly limiters: Record<LimitName, RateLimiterPostgres>;
  private readonly key: Buffer;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
    @Inject(throttleConfig.KEY) private readonly config: ConfigType<typeof throttleConfig>,
    @Inject(authConfig.KEY) auth: ConfigType<typeof authConfig>,
  ) {
    this.key = deriveKey(auth.jwtSecret, 'throttle-subject');
    const limiter = (name: LimitName) =>
      new RateLimiterPostgres({
        storeClient: dataSource,
        storeType: 'typeorm',
        tableName: THROTTLES_TABLE,
        tableCreated: true,
        clearExpiredByTimeout: false,
        keyPrefix: LIMITS[name].prefix,
        points: config.limits[name].points,
        duration: config.limits[name].durationSec,
      });
    this.limiters = Object.fromEntries(
      (Object.keys(LIMITS) as LimitName[]).map((name) => [name, limiter(name)]),
    ) as Record<LimitName, RateLimiterPostgres>;
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.purgeExpired().catch((error: unknown) => this.logger.warn({ err: error }, 'throttle purge failed'));
    }, this.config.purgeIntervalMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /**
   * Counts one attempt against each subject; over any of the limits → 429 with the first
   * exceeded limit's message and `Retry-After` (the latest of their windows' ends). A refused
   * attempt is given back to the limits it was not refused by, so it only counts where it
   * was over anyway.
   */
  async take(subjects: Subjects): Promise<void> {
    const refusal = await this.count(subjects);
    if (refusal) throw refusal;
  }

  /** Like `take`, but says whether the attempt was within every limit instead of throwing. */
  async tryTake(subjects: Subjects): Promise<boolean> {
    return (await this.count(subjects)) === null;
  }

  /** Gives back the attempt `take` counted (it succeeded: "failures" limits count only failures). */
  async refund(subjects: Subjects): Promise<void> {
    await Promise.all(this.entries(subjects).map(([name, key]) => this.limiters[name].reward(key, 1)));
  }

  /** Clears the subjects' counts (e.g. a password reset ends the account's sign-in lockout). */
  async forget(subjects: Subjects): Promise<void> {
    await Promise.all(this.entries(subjects).map(([name, key]) => this.limiters[name].delete(key)));
  }

  /**
   * Deletes every counter whose window has ended (the limiter already counts them as zero);
   * returns how many. A counter renewed meanwhile is left alone: the row is re-checked under
   * its lock. Every instance purges; the work is one indexed DELETE.
   */
  async purgeExpired(): Promise<number> {
    const [, deleted]: [unknown, number] = await this.dataSource.query(
      `DELETE FROM ${THROTTLES_TABLE} WHERE expire <= $1`,
      [this.clock.now().getTime()],
    );
    return deleted;
  }

  private async count(subjects: Subjects): Promise<ApiError | null> {
    const entries = this.entries(subjects);
    const outcomes = await Promise.allSettled(entries.map(([name, key]) => this.limiters[name].consume(key, 1)));
    const failure = outcomes.find(
      (outcome): outcome is PromiseRejectedResult =>
        outcome.status === 'rejected' && !(outcome.reason instanceof RateLimiterRes),
    );
    if (failure) throw failure.reason;
    const refused = entries.flatMap(([name], i) => {
      const outcome = outcomes[i];
      return outcome.status === 'rejected' ? [{ name, res: outcome.reason as RateLimiterRes }] : [];
    });
    if (refused.length === 0) return null;
    await Promise.all(
      entries.flatMap(([name, key], i) =>
        outcomes[i].status === 'fulfilled' ? [this.limiters[name].reward(key, 1)] : [],
      ),
    );
    const retryAfterSec = Math.max(1, ...refused.map(({ res }) => Math.ceil(res.msBeforeNext / 1000)));
    const message = `${LIMITS[refused[0].name].refusal} Please try again in ${inWords(retryAfterSec)}.`;
    this.logger.warn({ limits: refused.map(({ name }) => name), retryAfterSec }, 'throttled');
    this.metrics.throttled(refused[0].name);
    return ApiError.retryLater(429, message, retryAfterSec);
  }

  /** [limit, stored key suffix] for each known subject. */
  private entries(subjects: Subjects): [LimitName, string][] {
    return (Object.entries(subjects) as [LimitName, string | null | undefined][]).flatMap(([name, subject]) => {
      if (subject === null || subject === undefined) return [];
      const counted = LIMITS[name].per === 'address' ? throttledAddress(subject) : subject;
      return [[name, hmac(this.key, counted)]];
    });
  }
}
