import { ApiError } from '../common/http/error-body';
import type { QuotaName } from '../config/quota.config';

/**
 * A write past a quota: 409 with the contract's error body, the limit named in `message` and,
 * for programs, in `quota` and `limit`. Thrown inside the write's unit of work, so nothing of
 * it is committed.
 */
export class QuotaExceeded extends ApiError {
  constructor(
    readonly quota: QuotaName,
    readonly limit: number,
    message: string,
  ) {
    super(409, message, undefined, { quota, limit });
  }
}

/** A byte count as people read it: `3000 bytes`, `25 MB`, `1 GB`. */
export function byteSize(bytes: number): string {
  const units: [number, string][] = [
    [1024 ** 3, 'GB'],
    [1024 ** 2, 'MB'],
  ];
  for (const [size, unit] of units) {
    if (bytes >= size) return `${Number((bytes / size).toFixed(1))} ${unit}`;
  }
  return `${bytes} bytes`;
}
