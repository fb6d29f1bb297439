import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import * as argon2 from 'argon2';
import * as bcrypt from 'bcrypt';
import { BoundedConcurrency } from '../common/concurrency/bounded-concurrency';
import { ApiError } from '../common/http/error-body';
import { authConfig } from '../config/auth.config';

export const HASHER_BUSY = 'The service is busy; please try again in a moment.';
/** A hash takes tens of milliseconds: a slot is likely free again within a second. */
const BUSY_RETRY_AFTER_SEC = 1;

/** The old server's hashes: bcrypt in any of its spellings ($2a$, $2b$, $2y$), two-digit cost, 53 characters. */
const BCRYPT = /^\$2[aby]\$(\d{2})\$[./A-Za-z0-9]{53}$/;
/** bcrypt reads at most 72 bytes; Go's bcrypt refuses longer passwords, so no stored hash was made from one. */
const BCRYPT_MAX_PASSWORD_BYTES = 72;
/** Go's default is 10; above 14 one check would hold a thread for over a second. */
const BCRYPT_MAX_COST = 14;

export type HashKind = 'argon2id' | 'argon2-other' | 'bcrypt' | 'unknown';

/** Which scheme a stored hash is in; anything not argon2 or a well-formed bcrypt hash is 'unknown'. */
export function hashKind(hash: string): HashKind {
  if (hash.startsWith('$argon2id$')) return 'argon2id';
  if (/^\$argon2(i|d)\$/.test(hash)) return 'argon2-other';
  return BCRYPT.test(hash) ? 'bcrypt' : 'unknown';
}

/**
 * argon2id with OWASP parameters (m = 19 MiB, t = 2, p = 1 by default). Every hash and
 * verification runs through one bounded queue: at most ARGON2_MAX_CONCURRENT at once (each
 * holds a libuv thread and its memory), ARGON2_MAX_QUEUE waiting; beyond that the request is
 * answered 503 with Retry-After at once, so a burst of sign-ins cannot take every libuv thread
 * (file and DNS work wait on them too) or queue without bound.
 */
@Injectable()
export class PasswordHasher implements OnModuleInit {
  private dummyHash = '';
  private readonly capacity: BoundedConcurrency;

  constructor(@Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>) {
    const { concurrent, queue } = config.argon2Capacity;
    this.capacity = new BoundedConcurrency(concurrent, queue, () =>
      ApiError.retryLater(503, HASHER_BUSY, BUSY_RETRY_AFTER_SEC),
    );
  }

  async onModuleInit(): Promise<void> {
    this.dummyHash = await this.hash('not a real password, only for timing');
  }

  hash(password: string): Promise<string> {
    return this.capacity.run(() => argon2.hash(password, { type: argon2.argon2id, ...this.config.argon2 }));
  }

  /**
   * argon2 hashes (ours) and bcrypt hashes (accounts imported from the old server), both in
   * the thread pool under the same cap. A hash in no known scheme never matches (401, not 500)
   * but still costs one argon2 verification, so it cannot be told apart by timing.
   */
  verify(hash: string, password: string): Promise<boolean> {
    switch (hashKind(hash)) {
      case 'argon2id':
      case 'argon2-other':
        return this.verifyArgon2(hash, password);
      case 'bcrypt':
        return this.verifyBcrypt(hash, password);
      case 'unknown':
        return this.spendOne(password);
    }
  }

  /** Whether a hash that just verified should be replaced by a fresh argon2id one (old scheme). */
  needsRehash(hash: string): boolean {
    return hashKind(hash) !== 'argon2id';
  }

  private verifyBcrypt(hash: string, password: string): Promise<boolean> {
    if (Number(BCRYPT.exec(hash)![1]) > BCRYPT_MAX_COST || Buffer.byteLength(password) > BCRYPT_MAX_PASSWORD_BYTES) {
      return this.spendOne(password);
    }
    // $2y$ (PHP's name) is the same algorithm as $2b$; the library only reads $2a$ and $2b$.
    const readable = hash.startsWith('$2y$') ? `$2b$${hash.slice(4)}` : hash;
    return this.capacity.run(async () => {
      try {
        return await bcrypt.compare(password, readable);
      } catch {
        return false;
      }
    });
  }

  /** Spends one verification for an account that does not exist, so timing does not tell. */
  async verifyNothing(password: string): Promise<false> {
    await this.verify(this.dummyHash, password);
    return false;
  }

  /** One argon2 verification against the dummy hash, answered "no" whatever it says. */
  private async spendOne(password: string): Promise<false> {
    await this.verifyArgon2(this.dummyHash, password);
    return false;
  }

  private verifyArgon2(hash: string, password: string): Promise<boolean> {
    return this.capacity.run(async () => {
      try {
        return await argon2.verify(hash, password);
      } catch {
        return false;
      }
    });
  }
}
