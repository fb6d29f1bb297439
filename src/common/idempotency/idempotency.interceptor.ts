import {
  CallHandler,
  ConflictException,
  ExecutionContext,
  Inject,
  Injectable,
  NestInterceptor,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  UnprocessableEntityException,
} from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { Request, Response } from 'express';
import { catchError, from, mergeMap, Observable, of, throwError } from 'rxjs';
import { idempotencyConfig } from '../../config/idempotency.config';
import { sha256 } from '../crypto/secrets';
import { AuthUser } from '../decorators/current-user.decorator';
import { RequestValidationException } from '../http/validation.pipe';
import { IdempotencyRepository } from './idempotency.repository';

const KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * `Idempotency-Key` on an authenticated POST: the first request with a key runs and its
 * answer is stored; a retry with the same key and body gets that answer again (with
 * `Idempotent-Replayed: true`) and changes nothing; the same key with another body → 422;
 * a retry while the first is still running → 409. Keys are scoped to the user and kept
 * IDEMPOTENCY_TTL_HOURS. A failed first attempt frees the key, so it can be retried.
 * Public routes (login, register…) ignore the header: replaying them would hand one
 * caller's tokens to whoever sends the same key. So do multipart uploads (see below).
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor, OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly keys: IdempotencyRepository,
    @Inject(idempotencyConfig.KEY) private readonly config: ConfigType<typeof idempotencyConfig>,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.keys.purge(this.config.ttlMs).catch(() => undefined), 3_600_000);
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
    return from(this.begin(scope, key, hash)).pipe(
      mergeMap((replay) => {
        if (replay) {
          response.setHeader('Idempotent-Replayed', 'true');
          return of(replay.body);
        }
        return next.handle().pipe(
          mergeMap(async (body: unknown) => {
            await this.keys.complete(scope, key, response.statusCode, body);
            return body;
          }),
          catchError((error: unknown) =>
            from(this.keys.release(scope, key)).pipe(mergeMap(() => throwError(() => error))),
          ),
        );
      }),
    );
  }

  /** null: this request owns the key and runs; otherwise the stored answer to replay. */
  private async begin(scope: string, key: string, hash: string): Promise<{ body: unknown } | null> {
    for (let attempt = 0; attempt < 2; attempt++) {
      if (await this.keys.claim(scope, key, hash)) return null;
      const stored = await this.keys.find(scope, key, this.config.ttlMs);
      if (!stored) continue;
      if (stored.expired) {
        await this.keys.release(scope, key);
        continue;
      }
      if (stored.requestHash !== hash) {
        throw new UnprocessableEntityException('This Idempotency-Key was used with a different request.');
      }
      if (stored.statusCode === null) {
        throw new ConflictException('A request with this Idempotency-Key is still being processed.');
      }
      return { body: stored.response };
    }
    throw new ConflictException('A request with this Idempotency-Key is still being processed.');
  }
}
