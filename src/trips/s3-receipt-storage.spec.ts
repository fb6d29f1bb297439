import { DeleteObjectsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ClsPluginTransactional, NoOpTransactionalAdapter, TransactionHost } from '@nestjs-cls/transactional';
import { Test } from '@nestjs/testing';
import { mock, MockProxy } from 'jest-mock-extended';
import { ClsModule } from 'nestjs-cls';
import { callOrder, NOW } from '../../test/support/unit';
import type { S3Settings } from '../config/trips.config';
import { ReceiptFilesRepository } from './receipt-files.repository';
import { S3ReceiptStorage } from './s3-receipt-storage';

const SETTINGS: S3Settings = {
  endpoint: 'http://s3.test',
  region: 'us-east-1',
  bucket: 'receipts-bucket',
  prefix: 'receipts/',
  credentials: null,
  forcePathStyle: true,
  sweepIntervalMs: 60_000,
  uploadGraceMs: 3_600_000,
  orphanScanIntervalMs: 86_400_000,
};

const FILE = { key: 't1/r.jpg', tripId: 't1', listId: 'l1', contentType: 'image/jpeg', body: Buffer.from('jpeg') };

describe('S3ReceiptStorage', () => {
  let files: MockProxy<ReceiptFilesRepository>;
  /** The client's `send` (typed by hand: its overloads include a callback form that returns nothing). */
  let send: jest.Mock<Promise<unknown>, [unknown]>;
  let storage: S3ReceiptStorage;
  let inTransaction: () => boolean;
  /** The commands the bucket received, in order. */
  let sent: unknown[];

  beforeEach(async () => {
    files = mock<ReceiptFilesRepository>();
    sent = [];
    send = jest.fn((command: unknown) => {
      sent.push(command);
      return Promise.resolve({});
    });
    const s3 = mock<S3Client>({ send: send as unknown as S3Client['send'] });
    // A transaction host over a no-op adapter, so @Transactional runs and can be observed.
    const moduleRef = await Test.createTestingModule({
      imports: [
        ClsModule.forRoot({
          plugins: [new ClsPluginTransactional({ adapter: new NoOpTransactionalAdapter({ tx: {} }) })],
        }),
      ],
    }).compile();
    const txHost = moduleRef.get(TransactionHost);
    inTransaction = () => txHost.isTransactionActive();
    storage = new S3ReceiptStorage(files, { now: () => NOW }, s3, SETTINGS);
  });

  it('should commit the object’s pending deletion, due after the grace, before uploading it under the prefix', async () => {
    await storage.stage(FILE);

    expect(files.expectUpload).toHaveBeenCalledWith('t1/r.jpg', new Date(NOW.getTime() + 3_600_000));
    expect(sent).toEqual([expect.any(PutObjectCommand)]);
    expect((sent[0] as PutObjectCommand).input).toEqual({
      Bucket: 'receipts-bucket',
      Key: 'receipts/t1/r.jpg',
      Body: FILE.body,
      ContentType: 'image/jpeg',
    });
    const [pending, upload] = callOrder(files.expectUpload, send);
    expect(pending).toBeLessThan(upload);
  });

  it('should queue the object for deletion now when its upload fails, and fail with the upload’s error', async () => {
    send.mockRejectedValue(new Error('bucket unreachable'));
    await expect(storage.stage(FILE)).rejects.toThrow('bucket unreachable');
    expect(files.queueDeletion).toHaveBeenCalledWith('t1/r.jpg');
  });

  it('should claim the pending deletion, then store the row without bytes', async () => {
    files.claimUpload.mockResolvedValue(true);
    await storage.put(FILE);
    expect(files.insert).toHaveBeenCalledWith({
      key: 't1/r.jpg',
      tripId: 't1',
      listId: 'l1',
      contentType: 'image/jpeg',
      size: 4,
      bytes: null,
      createdAt: NOW,
    });
    const [claim, insert] = callOrder(files.claimUpload, files.insert);
    expect(claim).toBeLessThan(insert);
  });

  it('should refuse to store the row when a sweeper already took the pending deletion', async () => {
    files.claimUpload.mockResolvedValue(false);
    await expect(storage.put(FILE)).rejects.toThrow(/outlived RECEIPT_UPLOAD_GRACE_SEC/);
    expect(files.insert).not.toHaveBeenCalled();
  });

  it('should not throw when it cannot queue a failed upload’s object (its pending deletion stays)', async () => {
    files.queueDeletion.mockRejectedValue(new Error('database unreachable'));
    await expect(storage.discard('t1/r.jpg')).resolves.toBeUndefined();
  });

  it('should delete the objects of due deletions that no row names, then forget them all, in one unit of work', async () => {
    const seenInTransaction: boolean[] = [];
    files.lockDueDeletions.mockImplementation(() => {
      seenInTransaction.push(inTransaction());
      return Promise.resolve([
        { key: 't1/gone.jpg', kept: false },
        { key: 't2/named.jpg', kept: true },
      ]);
    });
    files.forgetDeletions.mockImplementation(() => {
      seenInTransaction.push(inTransaction());
      return Promise.resolve();
    });

    expect(await storage.sweep()).toBe(1);

    expect(files.lockDueDeletions).toHaveBeenCalledWith(NOW, 500);
    expect(sent).toEqual([expect.any(DeleteObjectsCommand)]);
    expect((sent[0] as DeleteObjectsCommand).input).toEqual({
      Bucket: 'receipts-bucket',
      Delete: { Objects: [{ Key: 'receipts/t1/gone.jpg' }], Quiet: true },
    });
    expect(files.forgetDeletions).toHaveBeenCalledWith(['t1/gone.jpg', 't2/named.jpg']);
    expect(seenInTransaction).toEqual([true, true]);
  });

  it('should keep the deletions queued when the bucket refuses to delete an object', async () => {
    files.lockDueDeletions.mockResolvedValue([{ key: 't1/gone.jpg', kept: false }]);
    send.mockResolvedValue({ Errors: [{ Key: 'receipts/t1/gone.jpg', Code: 'AccessDenied', Message: 'no' }] });
    await expect(storage.sweep()).rejects.toThrow('could not delete 1 receipt objects: AccessDenied no');
    expect(files.forgetDeletions).not.toHaveBeenCalled();
  });
});
