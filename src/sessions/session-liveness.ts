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
 */
@Injectable()
export class SessionLiveness {
  private readonly cache = new Map<string, { live: boolean; until: number }>();

  constructor(
    private readonly sessions: SessionsRepository,
    private readonly clock: Clock,
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
  ) {}

  async isLive(sessionId: string, userId: string): Promise<boolean> {
    const key = `${sessionId}:${userId}`;
    const now = this.clock.now();
    const cached = this.cache.get(key);
    if (cached && cached.until > now.getTime()) return cached.live;
    const live = await this.sessions.isLive(sessionId, userId, now);
    if (this.config.sessionCacheMs > 0) {
      if (this.cache.size >= MAX_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(key, { live, until: now.getTime() + this.config.sessionCacheMs });
    }
    return live;
  }

  forget(sessionIds: string[]): void {
    if (sessionIds.length === 0) return;
    const ids = new Set(sessionIds);
    for (const key of this.cache.keys()) {
      if (ids.has(key.slice(0, key.indexOf(':')))) this.cache.delete(key);
    }
  }
}
