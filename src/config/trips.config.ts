import { registerAs } from '@nestjs/config';
import { join, resolve } from 'node:path';

export const tripsConfig = registerAs('trips', () => ({
  /** Where receipts are stored (DiskReceiptStorage). */
  uploadDir: resolve(process.env.UPLOAD_DIR ?? join(process.env.DATA_DIR ?? '.data', 'uploads')),
  /** Largest receipt upload; larger → 413 and nothing written. */
  maxReceiptBytes: Number(process.env.RECEIPT_MAX_BYTES ?? 10 * 1024 * 1024),
  /** Largest photo decoded, in pixels (decompression bombs); photos are re-encoded. */
  maxReceiptPixels: Number(process.env.RECEIPT_MAX_PIXELS ?? 50_000_000),
  /** Lifetime of a signed receipt URL. */
  receiptUrlTtlMs: Number(process.env.RECEIPT_URL_TTL_SEC ?? 3600) * 1000,
}));

export type TripsConfig = ReturnType<typeof tripsConfig>;
