import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { idempotencyConfig } from '../../config/idempotency.config';
import { Clock } from '../clock/clock';
import { IdempotencyRepository } from './idempotency.repository';

const HOUR_MS = 3_600_000;

/** Deletes `Idempotency-Key` records older than IDEMPOTENCY_TTL_HOURS, hourly, once per instance. */
@Injectable()
export class IdempotencyPurge implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly keys: IdempotencyRepository,
    private readonly clock: Clock,
    @Inject(idempotencyConfig.KEY) private readonly config: ConfigType<typeof idempotencyConfig>,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(
      () => void this.keys.purge(this.clock.now(), this.config.ttlMs).catch(() => undefined),
      HOUR_MS,
    );
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }
}
