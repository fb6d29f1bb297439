import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Injectable } from '@nestjs/common';

export interface StoredRequest {
  requestHash: string;
  /** null while the request that claimed the key has not finished. */
  statusCode: number | null;
  /** The answer, sealed by the interceptor; null while running, or for an answer stored before answers were sealed. */
  sealedResponse: Buffer | null;
}

/**
 * One request's hold on a key. `claimedAt` tells this claim from a later one of the same key:
 * a key is claimed again only after the earlier claim's lease or record expired, so each
 * claim of a key has a later `claimedAt` than the one it replaced.
 */
export interface Claim {
  scope: string;
  key: string;
  claimedAt: Date;
  requestHash: string;
}

export interface ClaimTerms {
  requestHash: string;
  now: Date;
  /** How long the claim is held for its request. */
  leaseMs: number;
  /** How long a record is remembered. */
  ttlMs: number;
}

/**
 * The one writer of `idempotency_keys`. Every method takes part in the caller's transaction
 * when there is one: `complete` is meant to run in the request's own unit of work, so the
 * answer is stored if and only if the write commits; `claim` and `release` outside any.
 */
@Injectable()
export class IdempotencyRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  /**
   * Claims the key for a request; null when it is taken. A key is free when it is new, when
   * its record is older than the TTL, or when its request neither finished nor freed it
   * within its lease and this is the same request again.
   */
  async claim(scope: string, key: string, terms: ClaimTerms): Promise<Claim | null> {
    const { requestHash, now, leaseMs, ttlMs } = terms;
    const rows: unknown[] = await this.txHost.tx.query(
      `INSERT INTO idempotency_keys AS k (scope, key, request_hash, created_at, locked_until)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (scope, key) DO UPDATE
          SET request_hash = excluded.request_hash, created_at = excluded.created_at,
              locked_until = excluded.locked_until, status_code = NULL, response_sealed = NULL
        WHERE k.created_at <= $6
           OR (k.status_code IS NULL AND k.locked_until <= $4 AND k.request_hash = excluded.request_hash)
       RETURNING 1`,
      [scope, key, requestHash, now, new Date(now.getTime() + leaseMs), new Date(now.getTime() - ttlMs)],
    );
    return rows.length > 0 ? { scope, key, claimedAt: now, requestHash } : null;
  }

  async find(scope: string, key: string): Promise<StoredRequest | null> {
    const rows: StoredRequest[] = await this.txHost.tx.query(
      `SELECT request_hash AS "requestHash", status_code AS "statusCode", response_sealed AS "sealedResponse"
         FROM idempotency_keys WHERE scope = $1 AND key = $2`,
      [scope, key],
    );
    return rows[0] ?? null;
  }

  /** Stores the request's answer; false when its claim was lost meanwhile (its lease ran out and another took the key). */
  async complete(claim: Claim, statusCode: number, sealedResponse: Buffer): Promise<boolean> {
    const [rows]: [unknown[], number] = await this.txHost.tx.query(
      `UPDATE idempotency_keys SET status_code = $4, response_sealed = $5
        WHERE scope = $1 AND key = $2 AND created_at = $3 AND status_code IS NULL
       RETURNING 1`,
      [claim.scope, claim.key, claim.claimedAt, statusCode, sealedResponse],
    );
    return rows.length > 0;
  }

  /** Frees the key after its request failed; never an answer already stored, nor a later claim. */
  async release(claim: Claim): Promise<void> {
    await this.txHost.tx.query(
      `DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND created_at = $3 AND status_code IS NULL`,
      [claim.scope, claim.key, claim.claimedAt],
    );
  }

  async purge(now: Date, ttlMs: number): Promise<void> {
    await this.txHost.tx.query(`DELETE FROM idempotency_keys WHERE created_at < $1`, [new Date(now.getTime() - ttlMs)]);
  }
}
