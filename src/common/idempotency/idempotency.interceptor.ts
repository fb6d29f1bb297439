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
  UnprocessableEntityException,
} from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { from, lastValueFrom, mergeMap, Observable, of, throwError } from 'rxjs';
import { authConfig } from '../../config/auth.config';
import { idempotencyConfig } from '../../config/idempotency.config';
import { Clock } from '../clock/clock';
import { SecretBox } from '../crypto/secret-box';
import { deriveKey, hmac, sha256 } from '../crypto/secrets';
import { AuthUser } from '../decorators/current-user.decorator';
import { RequestValidationException } from '../http/validation.pipe';
import { OUTSIDE_TRANSACTION } from './idempotent-outside-transaction.decorator';
import { Claim, IdempotencyRepository, StoredRequest } from './idempotency.repository';
import { ReplayAuthorizer } from './replay-authorizer';

const KEY = /^[\x21-\x7e]{1,255}$/;
const STILL_RUNNING = 'A request with this Idempotency-Key is still being processed.';
const ANSWER_GONE = 'This request was already processed; its answer can no longer be replayed.';

/**
 * `Idempotency-Key` on an authenticated POST: the first request with a key runs and its
 * answer is stored; a retry with the same key and body gets that answer again (with
 * `Idempotent-Replayed: true`) and changes nothing; the same key with another body → 422;
 * a retry while the first is still running → 409. Keys are scoped to the user and kept
 * IDEMPOTENCY_TTL_HOURS. A replay skips the handler, so before the key is even looked at the
 * `ReplayAuthorizer` checks the caller may see the list the route names (one they have since
 * left: 404, as for an outsider, for a replay, a different body or a running claim alike).
 *
 * The handler runs inside one transaction that also stores its answer (the services'
 * `@Transactional()` units of work join it): the write commits if and only if its answer
 * is stored, so a retry never writes twice. A failed request frees its key; one that could
 * not (database down, instance gone) holds it for IDEMPOTENCY_LEASE_SEC at most. Routes
 * marked `@IdempotentOutsideTransaction()` run on their own and store their answer after.
 *
 * Public routes (login, register…) ignore the header: replaying them would hand one
 * caller's tokens to whoever sends the same key. So do multipart uploads (see below).
 *
 * Bound to each POST route by `@IdempotentPost()`, not globally: a global interceptor puts
 * every request, GETs included, through Nest's RxJS interceptor chain, which with nestjs-cls's
 * enhancers was half the server's CPU of `GET /health` (docs/BENCHMARKS.md).
 *
 * Nothing of a request or its answer is kept in clear (answers carry WebSocket tickets and
 * invite codes, request bodies invite codes): the request is known by a keyed digest (HMAC,
 * not a plain hash a short invite code could be found again from) and the answer is sealed
 * (AES-256-GCM, `SecretBox`) with the row's identity (user, key, request digest) as
 * associated data. A stored answer that cannot be opened (JWT_SECRET changed; answers
 * stored before they were sealed) is never run again: 409.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  private readonly logger = new Logger(IdempotencyInterceptor.name);
  private readonly answers: SecretBox;
  private readonly requestKey: Buffer;

  constructor(
    private readonly keys: IdempotencyRepository,
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
    private readonly reflector: Reflector,
    private readonly clock: Clock,
    private readonly authorizer: ReplayAuthorizer,
    @Inject(idempotencyConfig.KEY) private readonly config: ConfigType<typeof idempotencyConfig>,
    @Inject(authConfig.KEY) auth: ConfigType<typeof authConfig>,
  ) {
    this.answers = new SecretBox(auth.jwtSecret, 'idempotency-answer');
    this.requestKey = deriveKey(auth.jwtSecret, 'idempotency-request');
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
    const described = `${request.method} ${request.originalUrl}\n${JSON.stringify(request.body ?? null)}`;
    const response = http.getResponse<Response>();
    const outside = this.reflector.get<boolean | undefined>(OUTSIDE_TRANSACTION, context.getHandler()) === true;
    const user = request.user;
    const begun = async () => {
      await this.authorizer.authorize(user.id, request);
      return this.begin(scope, key, described);
    };
    return from(begun()).pipe(
      mergeMap((outcome) => {
        if ('replay' in outcome) {
          response.status(outcome.replay.statusCode).setHeader('Idempotent-Replayed', 'true');
          return of(outcome.replay.body);
        }
        const run = outside
          ? this.runThenStore(outcome.claim, next, response)
          : this.runAtomically(outcome.claim, next, response);
        return from(run);
      }),
    );
  }

  /** This request (`described`: method, URL and body) claims the key and runs, or gets the stored answer to replay. */
  private async begin(
    scope: string,
    key: string,
    described: string,
  ): Promise<{ claim: Claim } | { replay: { statusCode: number; body: unknown } }> {
    const requestHash = hmac(this.requestKey, described);
    for (let attempt = 0; attempt < 2; attempt++) {
      const terms = { requestHash, now: this.clock.now(), leaseMs: this.config.leaseMs, ttlMs: this.config.ttlMs };
      const claim = await this.keys.claim(scope, key, terms);
      if (claim) return { claim };
      const stored = await this.keys.find(scope, key);
      if (!stored) continue; // freed meanwhile: claim it now
      if (stored.requestHash !== requestHash) {
        // Answered before answers were sealed (SealedSecrets1764200000004, a plain digest): the same request.
        if (stored.statusCode !== null && stored.requestHash === sha256(described)) {
          throw new ConflictException(ANSWER_GONE);
        }
        throw new UnprocessableEntityException('This Idempotency-Key was used with a different request.');
      }
      if (stored.statusCode === null) throw new ConflictException(STILL_RUNNING);
      return { replay: { statusCode: stored.statusCode, body: this.open({ scope, key, requestHash }, stored) } };
    }
    throw new ConflictException(STILL_RUNNING);
  }

  /** The row's identity, authenticated with its sealed answer: an answer moved to another row does not open. */
  private context(claim: Pick<Claim, 'scope' | 'key' | 'requestHash'>): string {
    return `idempotency_keys\n${claim.scope}\n${claim.key}\n${claim.requestHash}`;
  }

  private seal(claim: Claim, body: unknown): Buffer {
    return this.answers.seal(JSON.stringify(body ?? null), this.context(claim));
  }

  private open(row: Pick<Claim, 'scope' | 'key' | 'requestHash'>, stored: StoredRequest): unknown {
    const json = stored.sealedResponse && this.answers.open(stored.sealedResponse, this.context(row));
    if (!json) throw new ConflictException(ANSWER_GONE);
    return JSON.parse(json) as unknown;
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
        const stored = await this.keys.complete(claim, response.statusCode, this.seal(claim, body));
        if (!stored) throw new ConflictException(STILL_RUNNING);
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
    const stored = await this.keys
      .complete(claim, response.statusCode, this.seal(claim, body))
      .catch((error: unknown) => {
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
