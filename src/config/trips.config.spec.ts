import { tripsConfig } from './trips.config';

describe('tripsConfig', () => {
  it('should keep receipts in PostgreSQL by default', () => {
    expect(tripsConfig({}).s3).toBeNull();
  });

  it('should read the bucket settings with RECEIPT_STORE=s3', () => {
    const config = tripsConfig({
      RECEIPT_STORE: 's3',
      S3_ENDPOINT: 'http://minio:9000',
      S3_BUCKET: 'cartsync',
      S3_ACCESS_KEY_ID: 'id',
      S3_SECRET_ACCESS_KEY: 'secret',
      S3_FORCE_PATH_STYLE: 'true',
      RECEIPT_UPLOAD_GRACE_SEC: '600',
    });
    expect(config.s3).toEqual({
      endpoint: 'http://minio:9000',
      region: 'us-east-1',
      bucket: 'cartsync',
      prefix: 'receipts/',
      credentials: { accessKeyId: 'id', secretAccessKey: 'secret' },
      forcePathStyle: true,
      sweepIntervalMs: 60_000,
      uploadGraceMs: 600_000,
      orphanScanIntervalMs: 86_400_000,
    });
  });

  it('should leave the credentials to the AWS SDK when neither key is set', () => {
    expect(tripsConfig({ RECEIPT_STORE: 's3', S3_BUCKET: 'cartsync' }).s3?.credentials).toBeNull();
  });

  it('should refuse RECEIPT_STORE=s3 without a bucket, half a key pair or an endpoint that is not a URL, naming each', () => {
    expect(tripsConfig.problems({ RECEIPT_STORE: 's3', S3_ACCESS_KEY_ID: 'id', S3_ENDPOINT: 'minio:9000' })).toEqual([
      'S3_BUCKET: required with RECEIPT_STORE=s3',
      'S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY: set both, or neither',
      'S3_ENDPOINT: must be an http(s) URL such as http://minio:9000',
    ]);
  });

  it('should refuse a receipt store it does not know', () => {
    expect(tripsConfig.problems({ RECEIPT_STORE: 'disk' })).toEqual(['RECEIPT_STORE: must be one of postgres, s3']);
  });
});
