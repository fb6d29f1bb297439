import { join, resolve } from 'node:path';
import { dataDir } from './app.config';
import { configNamespace, integer, optionalText } from './env';

export const tripsConfig = configNamespace(
  'trips',
  {
    /** Where receipts are stored (DiskReceiptStorage); default $DATA_DIR/uploads. */
    UPLOAD_DIR: optionalText(),
    /** Largest receipt upload; larger → 413 and nothing written. */
    RECEIPT_MAX_BYTES: integer({ default: 10 * 1024 * 1024, min: 1024, max: 104_857_600 }),
    /** Largest photo decoded, in pixels (decompression bombs); photos are re-encoded. */
    RECEIPT_MAX_PIXELS: integer({ default: 50_000_000, min: 1_000_000, max: 500_000_000 }),
    /** Lifetime of a signed receipt URL. */
    RECEIPT_URL_TTL_SEC: integer({ default: 3600, min: 10, max: 604_800 }),
  },
  (v, env) => ({
    uploadDir: v.UPLOAD_DIR ? resolve(v.UPLOAD_DIR) : join(dataDir(env), 'uploads'),
    maxReceiptBytes: v.RECEIPT_MAX_BYTES,
    maxReceiptPixels: v.RECEIPT_MAX_PIXELS,
    receiptUrlTtlMs: v.RECEIPT_URL_TTL_SEC * 1000,
  }),
);

export type TripsConfig = ReturnType<typeof tripsConfig>;
