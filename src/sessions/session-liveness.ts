import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Clock } from '../common/clock/clock';
import { authConfig } from '../config/auth.config';
import { SessionsRepository } from './sessions.repository';

const MAX_ENTRIES = 10_000;

/**
 * "Is this session still live?" asked on every request and handshake. Answers are reused
 * for SESSION_CACHE_MS (2 s by default), which bounds how long a revocation made on another
 * instance can take to reach this one; revocations made here apply at once.
 *
 * Requests that find no fresh answer while a lookup of the same session is under way wait for
 * that lookup instead of starting their own: when a busy session's answer expired, every
 * request in flight used to query at once (50 lookups in a round trip's time under the read
 * bench's 50 connections, every 2 s: a spike in the latency tail). A lookup that a revocation
 * here overtook still answers the requests that were waiting for it (they came before the
 * revocation) but its answer is not kept.
 */
@Injectable()
export class SessionLiveness {
  private readonly cache = new Map<string, { live: boolean; until: number }>();
  /** Lookups under way, by key; an entry is the lookup's own (a revocation replaces or drops it). */
  private readonly lookups = new Map<string, { answer: Promise<boolean> }>();

  constructor(
    private readonly sessions: SessionsRepository,
    private readonly clock: Clock,
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
  ) {}

  isLive(sessionId: string, userId: string): Promise<boolean> {
    const key = `${sessionId}:${userId}`;
    const now = this.clock.now();
    const cached = this.cache.get(key);
    if (cached && cached.until > now.getTime()) return Promise.resolve(cached.live);
    // Without a cache every request asks the database itself, as configured.
    if (this.config.sessionCacheMs <= 0) return this.sessions.isLive(sessionId, userId, now);
    const pending = this.lookups.get(key);
    if (pending) return pending.answer;
    const lookup = {} as { answer: Promise<boolean> };
    this.lookups.set(key, lookup);
    lookup.answer = this.lookUp(key, lookup, sessionId, userId, now);
    return lookup.answer;
  }

  forget(sessionIds: string[]): void {
    if (sessionIds.length === 0) return;
    const ids = new Set(sessionIds);
    const ofThem = (key: string) => ids.has(key.slice(0, key.indexOf(':')));
    for (const key of this.cache.keys()) if (ofThem(key)) this.cache.delete(key);
    // Their lookups under way read the session before it was revoked: later requests start anew.
    for (const key of this.lookups.keys()) if (ofThem(key)) this.lookups.delete(key);
  }

  private async lookUp(
    key: string,
    lookup: { answer: Promise<boolean> },
    sessionId: string,
    userId: string,
    now: Date,
  ): Promise<boolean> {
    const current = () => this.lookups.get(key) === lookup;
    try {
      const live = await this.sessions.isLive(sessionId, userId, now);
      if (current()) {
        if (this.cache.size >= MAX_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
        this.cache.set(key, { live, until: now.getTime() + this.config.sessionCacheMs });
      }
      return live;
    } finally {
      if (current()) this.lookups.delete(key);
    }
  }
}
