import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { randomUUID } from 'node:crypto';
import { RealtimeGateway } from '../src/realtime/realtime.gateway';
import { ReceiptStorage } from '../src/trips/receipt-storage';
import { S3ReceiptStorage } from '../src/trips/s3-receipt-storage';
import { TestApp, useTestApp } from './support/app';
import { setNow } from './support/clock';
import { expectErrorBody, registerUser } from './support/factories';
import { secondList } from './support/lists';
import { keyOf, photo, receiptSteps, storedReceiptKeys } from './support/receipts';
import { TestBucket, useS3Bucket } from './support/s3';

/** RECEIPT_UPLOAD_GRACE_SEC's default. */
const GRACE_MS = 3_600_000;

/** The app's S3 store, whose sweeper the tests run themselves. */
function s3Store(t: TestApp): S3ReceiptStorage {
  const storage = t.app.get(ReceiptStorage);
  if (!(storage instanceof S3ReceiptStorage)) throw new Error('this app keeps its receipts in PostgreSQL');
  return storage;
}

/** Makes `trip:updated` fail, after the receipt's file was written in its unit of work. */
function failTripUpdated(t: TestApp, seen: (keys: string[]) => void): void {
  const emit = RealtimeGateway.prototype.emit;
  jest.spyOn(RealtimeGateway.prototype, 'emit').mockImplementation(async function (this: RealtimeGateway, ...args) {
    if (args[1] !== 'trip:updated') return emit.apply(this, args);
    // What the unit of work has written so far, read inside it.
    const txHost: TransactionHost<TransactionalAdapterTypeOrm> = t.app.get(TransactionHost);
    const rows: { key: string }[] = await txHost.tx.query(`SELECT key FROM receipt_files ORDER BY key`);
    seen(rows.map((row) => row.key));
    throw new Error('the event log is unavailable');
  });
}

describe.each(['postgres', 's3'])('receipt files with RECEIPT_STORE=%s, on two instances', (store) => {
  const bucket: TestBucket | null = store === 's3' ? useS3Bucket() : null;
  const env = () => bucket?.env ?? {};
  const a = useTestApp(env);
  // The same database: a's reset empties it for both.
  const b = useTestApp(env, { reset: false });
  const onA = receiptSteps(a);
  const onB = receiptSteps(b);
  beforeEach(() => bucket?.empty());
  afterEach(() => jest.restoreAllMocks());

  /** The stored files (rows); with S3, once the sweeper has run, the bucket holds exactly their objects. */
  const storedFiles = async (): Promise<string[]> => {
    const rows = await storedReceiptKeys(a);
    if (bucket) {
      await s3Store(a).sweep();
      expect(await bucket.keys()).toEqual(rows);
    }
    return rows;
  };

  it('should open, on one instance, a receipt uploaded through the other', async () => {
    const ana = await registerUser(a);
    const trip = await onA.tripOf(ana);

    const { receiptUrl } = await onA.attach(ana, trip, await photo('png'), { contentType: 'image/png' });

    const served = await onB.open(receiptUrl!).expect(200);
    expect(served.headers['content-type']).toBe('image/png');
    expect(await storedFiles()).toEqual([keyOf(receiptUrl!)]);
    const detail = await b.http.get(`/lists/${ana.listId}/trips/${trip.id}`).set(ana.auth).expect(200);
    const again = await onA.open(detail.body.receiptUrl as string).expect(200);
    expect(Buffer.compare(again.body as Buffer, served.body as Buffer)).toBe(0);
  });

  it('should delete the receipt files of a deleted list with it, and keep those of the owner’s other lists', async () => {
    const ana = await registerUser(a);
    const cabin = await onA.attach(ana, await onA.tripOf(ana, await secondList(a, ana)), await photo('jpeg'));
    await onA.attach(ana, await onA.tripOf(ana), await photo('jpeg'));
    await onB.attach(ana, await onB.tripOf(ana), await photo('webp'), { contentType: 'image/webp' });
    expect(await storedFiles()).toHaveLength(3);

    await a.http.delete(`/lists/${ana.listId}`).set(ana.auth).expect(204);

    expect(await storedFiles()).toEqual([keyOf(cabin.receiptUrl!)]);
    await onB.open(cabin.receiptUrl!).expect(200);
  });

  it('should replace the receipt: the old file is gone with the replacement, its link answers 404', async () => {
    const ana = await registerUser(a);
    const trip = await onA.tripOf(ana);
    const first = await onA.attach(ana, trip, await photo('jpeg'));

    const second = await onB.attach(ana, trip, await photo('png'), { contentType: 'image/png' });

    expect(await storedFiles()).toEqual([keyOf(second.receiptUrl!)]);
    const gone = await onA.open(first.receiptUrl!).expect(404);
    expectErrorBody(JSON.parse((gone.body as Buffer).toString('utf8')), 404);
    await onA.open(second.receiptUrl!).expect(200);
  });

  it('should keep the old receipt and store no new file when the replacement fails after writing it', async () => {
    const ana = await registerUser(a);
    const trip = await onA.tripOf(ana);
    const first = await onA.attach(ana, trip, await photo('jpeg'));
    let inside: string[] = [];
    failTripUpdated(a, (keys) => (inside = keys));

    const res = await onA.upload(ana, trip, await photo('png'), { contentType: 'image/png' }).expect(500);

    expectErrorBody(res.body, 500);
    // Inside the unit of work the new file had replaced the old one …
    expect(inside).toEqual([expect.stringMatching(new RegExp(`^${trip.id}/[0-9a-f-]{36}\\.png$`))]);
    // … and all of it rolled back.
    expect(await storedFiles()).toEqual([keyOf(first.receiptUrl!)]);
    const detail = await a.http.get(`/lists/${ana.listId}/trips/${trip.id}`).set(ana.auth).expect(200);
    expect(keyOf(detail.body.receiptUrl as string)).toBe(keyOf(first.receiptUrl!));
    await onB.open(first.receiptUrl!).expect(200);
  });
});

describe('receipt objects in an S3 bucket', () => {
  const bucket = useS3Bucket();
  const t = useTestApp(() => bucket.env);
  // An instance still on the PostgreSQL store, on the same database (a store being switched).
  const before = useTestApp({}, { reset: false });
  const steps = receiptSteps(t);
  beforeEach(() => bucket.empty());
  afterEach(() => jest.restoreAllMocks());

  it('should delete an object whose receipt was never saved once the upload grace has passed, and not before', async () => {
    const start = new Date();
    setNow(t, start);
    const ana = await registerUser(t);
    const trip = await steps.tripOf(ana);
    const key = `${trip.id}/${randomUUID()}.jpg`;
    // The upload, and then the instance dies before its unit of work.
    await s3Store(t).stage({
      key,
      tripId: trip.id,
      listId: ana.listId,
      contentType: 'image/jpeg',
      body: Buffer.from('x'),
    });

    expect(await s3Store(t).sweep()).toBe(0);
    setNow(t, new Date(start.getTime() + GRACE_MS - 1000));
    expect(await s3Store(t).sweep()).toBe(0);
    expect(await bucket.keys()).toEqual([key]);

    setNow(t, new Date(start.getTime() + GRACE_MS + 1000));
    expect(await s3Store(t).sweep()).toBe(1);
    expect(await bucket.keys()).toEqual([]);
  });

  it('should not save a receipt whose upload outlived its grace (a sweeper may have deleted its object)', async () => {
    const ana = await registerUser(t);
    const trip = await steps.tripOf(ana);
    const storage = s3Store(t);
    const stage = storage.stage.bind(storage);
    jest.spyOn(storage, 'stage').mockImplementation(async (file) => {
      await stage(file);
      // The upload took longer than the grace: a sweeper ran meanwhile.
      const late = setNow(t, new Date(Date.now() + GRACE_MS + 1000));
      expect(await storage.sweep()).toBe(1);
      late.mockRestore();
    });

    expectErrorBody((await steps.upload(ana, trip, await photo('jpeg')).expect(500)).body, 500);

    expect(await storedReceiptKeys(t)).toEqual([]);
    expect(await storage.sweep()).toBe(1);
    expect(await bucket.keys()).toEqual([]);
    const detail = await t.http.get(`/lists/${ana.listId}/trips/${trip.id}`).set(ana.auth).expect(200);
    expect(detail.body.receiptUrl).toBeNull();
  });

  it('should delete, after the orphan scan, the objects older than the grace that no receipt names', async () => {
    const start = new Date();
    const ana = await registerUser(t);
    const trip = await steps.tripOf(ana);
    const { receiptUrl } = await steps.attach(ana, trip, await photo('jpeg'));
    await bucket.put(`${trip.id}/${randomUUID()}.jpg`, Buffer.from('left behind'));

    expect(await s3Store(t).scanOrphans()).toBe(0);
    setNow(t, new Date(start.getTime() + GRACE_MS + 60_000));
    expect(await s3Store(t).scanOrphans()).toBe(1);
    expect(await s3Store(t).sweep()).toBe(1);

    expect(await bucket.keys()).toEqual([keyOf(receiptUrl!)]);
    expect(await storedReceiptKeys(t)).toEqual([keyOf(receiptUrl!)]);
  });

  it('should keep an object that a receipt names, even when its key was queued for deletion', async () => {
    const ana = await registerUser(t);
    const { receiptUrl } = await steps.attach(ana, await steps.tripOf(ana), await photo('jpeg'));
    // As the orphan scan may queue it when it lists the bucket just before the receipt commits.
    await t.dataSource.query(`INSERT INTO receipt_object_deletions (key) VALUES ($1)`, [keyOf(receiptUrl!)]);

    expect(await s3Store(t).sweep()).toBe(0);

    expect(await bucket.keys()).toEqual([keyOf(receiptUrl!)]);
    expect(await t.dataSource.query(`SELECT key FROM receipt_object_deletions`)).toEqual([]);
    await steps.open(receiptUrl!).expect(200);
  });

  it('should delete each queued object once when several sweepers run at the same time', async () => {
    const ana = await registerUser(t);
    for (let i = 0; i < 3; i++) await steps.attach(ana, await steps.tripOf(ana), await photo('jpeg'));
    await t.http.delete(`/lists/${ana.listId}`).set(ana.auth).expect(204);
    expect(await bucket.keys()).toHaveLength(3);

    const deleted = await Promise.all([s3Store(t).sweep(), s3Store(t).sweep(), s3Store(t).sweep()]);

    expect(deleted.reduce((sum, n) => sum + n, 0)).toBe(3);
    expect(await bucket.keys()).toEqual([]);
  });

  it('should answer 404 for a receipt whose object is missing from the bucket', async () => {
    const ana = await registerUser(t);
    const { receiptUrl } = await steps.attach(ana, await steps.tripOf(ana), await photo('jpeg'));
    await bucket.empty();

    const res = await steps.open(receiptUrl!).expect(404);

    expectErrorBody(JSON.parse((res.body as Buffer).toString('utf8')), 404);
  });

  it('should serve a receipt kept in PostgreSQL before the switch to S3, and delete it with its list', async () => {
    const ana = await registerUser(t);
    const { receiptUrl } = await receiptSteps(before).attach(ana, await steps.tripOf(ana), await photo('jpeg'));

    await steps.open(receiptUrl!).expect(200);
    await t.http.delete(`/lists/${ana.listId}`).set(ana.auth).expect(204);

    expect(await storedReceiptKeys(t)).toEqual([]);
    expect(await s3Store(t).sweep()).toBe(0);
  });
});

describe('receipt files on an instance whose data directory cannot be written (a container’s non-root user)', () => {
  const t = useTestApp({ DATA_DIR: '/dev/null/cartsync' });

  it('should store and serve the receipt', async () => {
    const ana = await registerUser(t);
    const steps = receiptSteps(t);
    const { receiptUrl } = await steps.attach(ana, await steps.tripOf(ana), await photo('jpeg'));
    await steps.open(receiptUrl!).expect(200);
  });
});
