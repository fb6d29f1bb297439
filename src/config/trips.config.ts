import { boolean, configNamespace, integer, oneOf, optionalText, text } from './env';

export const tripsConfig = configNamespace(
  'trips',
  {
    /** Largest receipt upload; larger → 413 and nothing written. */
    RECEIPT_MAX_BYTES: integer({ default: 10 * 1024 * 1024, min: 1024, max: 104_857_600 }),
    /** Largest photo decoded, in pixels (decompression bombs); photos are re-encoded. */
    RECEIPT_MAX_PIXELS: integer({ default: 50_000_000, min: 1_000_000, max: 500_000_000 }),
    /** HEIC photos are decoded in worker threads: at most this many at a time … */
    RECEIPT_DECODE_WORKERS: integer({ default: 2, min: 1, max: 16 }),
    /** … at most this many waiting for one (beyond: 503 with Retry-After) … */
    RECEIPT_DECODE_QUEUE: integer({ default: 8, min: 0, max: 1000 }),
    /** … each with this JavaScript heap (the pixels are bounded by RECEIPT_MAX_PIXELS) … */
    RECEIPT_DECODE_HEAP_MB: integer({ default: 64, min: 4, max: 4096 }),
    /** … and this long to finish (then terminated: 415). */
    RECEIPT_DECODE_TIMEOUT_MS: integer({ default: 20_000, min: 1, max: 300_000 }),
    /** Lifetime of a signed receipt URL. */
    RECEIPT_URL_TTL_SEC: integer({ default: 3600, min: 10, max: 604_800 }),
    /** Where receipt bytes live: in PostgreSQL, or in an S3-compatible bucket (the S3_* variables). */
    RECEIPT_STORE: oneOf(['postgres', 's3'], 'postgres'),
    /** An S3-compatible endpoint (MinIO, R2, …); unset: AWS S3 in S3_REGION. */
    S3_ENDPOINT: optionalText(),
    S3_REGION: text('us-east-1'),
    /** Required with RECEIPT_STORE=s3; the bucket must exist. */
    S3_BUCKET: optionalText(),
    /** Receipts are the objects under this prefix (the orphan scan lists it). */
    S3_PREFIX: text('receipts/'),
    /** Both or neither; neither: the AWS SDK's default credentials (instance role, AWS_* variables). */
    S3_ACCESS_KEY_ID: optionalText(),
    S3_SECRET_ACCESS_KEY: optionalText(),
    /** `bucket` in the path rather than the host name (MinIO and most S3-compatible servers). */
    S3_FORCE_PATH_STYLE: boolean(false),
    /** How often objects whose rows were deleted are deleted from the bucket (instances share the work). */
    RECEIPT_SWEEP_INTERVAL_SEC: integer({ default: 60, min: 1, max: 86_400 }),
    /** An uploaded object whose row was not committed within this time is deleted. */
    RECEIPT_UPLOAD_GRACE_SEC: integer({ default: 3600, min: 60, max: 604_800 }),
    /** How often the bucket is listed for objects with no row (older than the grace). */
    RECEIPT_ORPHAN_SCAN_HOURS: integer({ default: 24, min: 1, max: 168 }),
  },
  (v) => ({
    maxReceiptBytes: v.RECEIPT_MAX_BYTES,
    maxReceiptPixels: v.RECEIPT_MAX_PIXELS,
    decode: {
      workers: v.RECEIPT_DECODE_WORKERS,
      queue: v.RECEIPT_DECODE_QUEUE,
      heapMb: v.RECEIPT_DECODE_HEAP_MB,
      timeoutMs: v.RECEIPT_DECODE_TIMEOUT_MS,
    },
    receiptUrlTtlMs: v.RECEIPT_URL_TTL_SEC * 1000,
    /** The bucket receipts go to; null: they are kept in PostgreSQL. */
    s3:
      v.RECEIPT_STORE === 's3'
        ? {
            endpoint: v.S3_ENDPOINT ?? null,
            region: v.S3_REGION,
            bucket: v.S3_BUCKET ?? '',
            prefix: v.S3_PREFIX,
            credentials:
              v.S3_ACCESS_KEY_ID && v.S3_SECRET_ACCESS_KEY
                ? { accessKeyId: v.S3_ACCESS_KEY_ID, secretAccessKey: v.S3_SECRET_ACCESS_KEY }
                : null,
            forcePathStyle: v.S3_FORCE_PATH_STYLE,
            sweepIntervalMs: v.RECEIPT_SWEEP_INTERVAL_SEC * 1000,
            uploadGraceMs: v.RECEIPT_UPLOAD_GRACE_SEC * 1000,
            orphanScanIntervalMs: v.RECEIPT_ORPHAN_SCAN_HOURS * 3_600_000,
          }
        : null,
  }),
  (v) => {
    const problems: string[] = [];
    if (v.RECEIPT_STORE === 's3' && !v.S3_BUCKET) problems.push('S3_BUCKET: required with RECEIPT_STORE=s3');
    if (!v.S3_ACCESS_KEY_ID !== !v.S3_SECRET_ACCESS_KEY) {
      problems.push('S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY: set both, or neither');
    }
    if (v.S3_ENDPOINT && !/^https?:\/\/[^/\s]+/.test(v.S3_ENDPOINT)) {
      problems.push('S3_ENDPOINT: must be an http(s) URL such as http://minio:9000');
    }
    return problems;
  },
);

export type TripsConfig = ReturnType<typeof tripsConfig>;
export type S3Settings = NonNullable<TripsConfig['s3']>;
