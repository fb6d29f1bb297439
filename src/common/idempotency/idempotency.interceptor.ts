import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import {
  CallHandler,
  ConflictException,
  ExecutionContext,
  Inject,
  Injectable,
  Logger,
  NestInterceptor,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  UnprocessableEntityException,
} from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { from, lastValueFrom, mergeMap, Observable, of, throwError } from 'rxjs';
import { idempotencyConfig } from '../../config/idempotency.config';
import { Clock } from '../clock/clock';
import { sha256 } from '../crypto/secrets';
import { AuthUser } from '../decorators/current-user.decorator';
import { RequestValidationException } from '../http/validation.pipe';
import { OUTSIDE_TRANSACTION } from './idempotent-outside-transaction.decorator';
import { Claim, IdempotencyRepository, StoredRequest } from './idempotency.repository';

const KEY = /^[\x21-\x7e]{1,255}$/;
const STILL_RUNNING = 'A request with this Idempotency-Key is still being processed.';

/**
 * `Idempotency-Key` on an authenticated POST: the first request with a key runs and its
 * answer is stored; a retry with the same key and body gets that answer again (with
 * `Idempotent-Replayed: true`) and changes nothing; the same key with another body → 422;
 * a retry while the first is still running → 409. Keys are scoped to the user and kept
 * IDEMPOTENCY_TTL_HOURS.
 *
 * The handler runs inside one transaction that also stores its answer (the services'
 * `@Transactional()` units of work join it): the write commits if and only if its answer
 * is stored, so a retry never writes twice. A failed request frees its key; one that could
 * not (database down, instance gone) holds it for IDEMPOTENCY_LEASE_SEC at most. Routes
 * marked `@IdempotentOutsideTransaction()` run on their own and store their answer after.
 *
 * Public routes (login, register…) ignore the header: replaying them would hand one
 * caller's tokens to whoever sends the same key. So do multipart uploads (see below).
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(IdempotencyInterceptor.name);
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly keys: IdempotencyRepository,
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
    private readonly reflector: Reflector,
    private readonly clock: Clock,
    @Inject(idempotencyConfig.KEY) private readonly config: ConfigType<typeof idempotencyConfig>,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(
      () => void this.keys.purge(this.clock.now(), this.config.ttlMs).catch(() => undefined),
      3_600_000,
    );
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const request = http.getRequest<Request & { user?: AuthUser }>();
    const key = request.get('idempotency-key');
    // Multipart bodies (receipts) are parsed after this runs, so the key could not tell two
    // different files apart; replacing a receipt with the same file is harmless to repeat.
    if (request.method !== 'POST' || key === undefined || !request.user || request.is('multipart/*')) {
      return next.handle();
    }
    if (!KEY.test(key)) {
      return throwError(
        () =>
          new RequestValidationException([
            { field: 'Idempotency-Key', problem: 'must be 1 to 255 visible ASCII characters' },
          ]),
      );
    }
    const scope = `user:${request.user.id}`;
    const hash = sha256(`${request.method} ${request.originalUrl}\n${JSON.stringify(request.body ?? null)}`);
    const response = http.getResponse<Response>();
    const outside = this.reflector.get<boolean | undefined>(OUTSIDE_TRANSACTION, context.getHandler()) === true;
    return from(this.begin(scope, key, hash)).pipe(
      mergeMap((outcome) => {
        if ('replay' in outcome) {
          response.status(outcome.replay.statusCode!).setHeader('Idempotent-Replayed', 'true');
          return of(outcome.replay.response);
        }
        const run = outside
          ? this.runThenStore(outcome.claim, next, response)
          : this.runAtomically(outcome.claim, next, response);
        return from(run);
      }),
    );
  }

  /** This request claims the key and runs, or gets the stored answer to replay. */
  private async begin(
    scope: string,
    key: string,
    requestHash: string,
  ): Promise<{ claim: Claim } | { replay: StoredRequest }> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const terms = { requestHash, now: this.clock.now(), leaseMs: this.config.leaseMs, ttlMs: this.config.ttlMs };
      const claim = await this.keys.claim(scope, key, terms);
      if (claim) return { claim };
      const stored = await this.keys.find(scope, key);
      if (!stored) continue; // freed meanwhile: claim it now
      if (stored.requestHash !== requestHash) {
        throw new UnprocessableEntityException('This Idempotency-Key was used with a different request.');
      }
      if (stored.statusCode === null) throw new ConflictException(STILL_RUNNING);
      return { replay: stored };
    }
    throw new ConflictException(STILL_RUNNING);
  }

  /**
   * The handler and its stored answer in one transaction. `next.handle()` is called inside
   * it, so the handler's async context, and the unit of work its service opens, is this one.
   */
  private async runAtomically(claim: Claim, next: CallHandler<unknown>, response: Response): Promise<unknown> {
    try {
      return await this.txHost.withTransaction(async () => {
        const body = await lastValueFrom(next.handle(), { defaultValue: undefined });
        // Lost claim: a retry took the key after this request outlived its lease; it answers.
        if (!(await this.keys.complete(claim, response.statusCode, body))) throw new ConflictException(STILL_RUNNING);
        return body;
      });
    } catch (error) {
      await this.release(claim);
      throw error;
    }
  }

  /**
   * The handler on its own, then its answer stored. Once the write committed, the key is
   * never freed: if the answer cannot be stored, the claim lapses with its lease.
   */
  private async runThenStore(claim: Claim, next: CallHandler<unknown>, response: Response): Promise<unknown> {
    let body: unknown;
    try {
      body = await lastValueFrom(next.handle(), { defaultValue: undefined });
    } catch (error) {
      await this.release(claim);
      throw error;
    }
    const stored = await this.keys.complete(claim, response.statusCode, body).catch((error: unknown) => {
      this.logger.warn(
        { err: error, key: claim.key },
        'Idempotency-Key answer not stored; the key lapses with its lease',
      );
      return true;
    });
    if (!stored) this.logger.warn({ key: claim.key }, 'Idempotency-Key taken over by a retry while its request ran');
    return body;
  }

  /** Frees the key of a failed request; if that fails too, the claim lapses with its lease. */
  private async release(claim: Claim): Promise<void> {
    await this.keys.release(claim).catch((error: unknown) => {
      this.logger.warn(
        { err: error, key: claim.key },
        'Idempotency-Key not freed; it is free again when its lease ends',
      );
    });
  }
}
