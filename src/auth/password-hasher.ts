import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import * as argon2 from 'argon2';
import { BoundedConcurrency } from '../common/concurrency/bounded-concurrency';
import { ApiError } from '../common/http/error-body';
import { authConfig } from '../config/auth.config';

export const HASHER_BUSY = 'The service is busy; please try again in a moment.';
/** A hash takes tens of milliseconds: a slot is likely free again within a second. */
const BUSY_RETRY_AFTER_SEC = 1;

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

  verify(hash: string, password: string): Promise<boolean> {
    return this.capacity.run(async () => {
      try {
        return await argon2.verify(hash, password);
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
}
