import {
  DeleteObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type _Object,
} from '@aws-sdk/client-s3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

const BUCKET = 'cartsync-receipts';
const PREFIX = 'receipts/';
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface TestBucket {
  /** What points the app at this bucket (RECEIPT_STORE=s3 and the S3_* variables). */
  readonly env: Record<string, string>;
  /** The receipt keys of the objects in the bucket (under the app's prefix), sorted. */
  keys(): Promise<string[]>;
  /** Writes an object under the app's prefix, behind the app's back. */
  put(key: string, body: Buffer): Promise<void>;
  /** Deletes every object. */
  empty(): Promise<void>;
}

/**
 * An S3-compatible server (s3rver) on 127.0.0.1, a free port and a temp directory, with one
 * bucket, for the enclosing `describe`: started before its tests, stopped after them. Declare
 * it before the `useTestApp` whose env reads `bucket.env`.
 */
export function useS3Bucket(): TestBucket {
  let server: S3rver | undefined;
  let directory = '';
  let client: S3Client | undefined;
  let env: Record<string, string> | undefined;
  const s3 = () => client ?? fail('The S3 server is not running: use it inside hooks and tests.');

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'cartsync-s3-'));
    server = new S3rver({
      address: '127.0.0.1',
      port: 0,
      silent: true,
      directory,
      configureBuckets: [{ name: BUCKET }],
    });
    const { port } = await server.run();
    const endpoint = `http://127.0.0.1:${port}`;
    client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: CREDENTIALS });
    env = {
      RECEIPT_STORE: 's3',
      S3_ENDPOINT: endpoint,
      S3_REGION: 'us-east-1',
      S3_BUCKET: BUCKET,
      S3_PREFIX: PREFIX,
      S3_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      S3_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      S3_FORCE_PATH_STYLE: 'true',
      // The tests run the sweeper themselves.
      RECEIPT_SWEEP_INTERVAL_SEC: '86400',
    };
  });
  afterAll(async () => {
    client?.destroy();
    await server?.close();
    await rm(directory, { recursive: true, force: true });
  });

  const objects = async (): Promise<_Object[]> => {
    const listed = await s3().send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: PREFIX }));
    return listed.Contents ?? [];
  };
  return {
    get env() {
      return env ?? fail('The S3 server is not running: use it inside hooks and tests.');
    },
    keys: async () => (await objects()).map((object) => object.Key!.slice(PREFIX.length)).sort(),
    put: async (key, body) => {
      await s3().send(new PutObjectCommand({ Bucket: BUCKET, Key: `${PREFIX}${key}`, Body: body }));
    },
    empty: async () => {
      const keys = (await objects()).map((object) => ({ Key: object.Key! }));
      if (keys.length > 0) await s3().send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: keys } }));
    },
  };
}

function fail(message: string): never {
  throw new Error(message);
}
