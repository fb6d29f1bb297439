import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Transactional } from '@nestjs-cls/transactional';
import { BeforeApplicationShutdown, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Clock } from '../common/clock/clock';
import type { S3Settings } from '../config/trips.config';
import { ReceiptFilesRepository } from './receipt-files.repository';
import { NewReceiptFile, ReceiptStorage } from './receipt-storage';

/** Deletions handled per transaction (DeleteObjects takes up to 1000 keys). */
const SWEEP_BATCH = 500;

export function s3Client(settings: S3Settings): S3Client {
  return new S3Client({
    region: settings.region,
    endpoint: settings.endpoint ?? undefined,
    forcePathStyle: settings.forcePathStyle,
    credentials: settings.credentials ?? undefined,
    // Checksums only where S3 requires them: not every S3-compatible server accepts the SDK's
    // newer default ones.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 60_000 },
  });
}

/**
 * Receipts as objects in an S3-compatible bucket, their rows in `receipt_files` (bytes NULL).
 * An object cannot take part in a transaction; instead, every object this store writes is, at
 * every moment, named by a committed row or queued in `receipt_object_deletions` (committed),
 * and a queued object is deleted only when no row names it. So the bucket holds no orphan
 * past the sweeps, and no receipt loses its object:
 *
 * 1. `stage` commits the object's pending deletion (due after RECEIPT_UPLOAD_GRACE_SEC), then uploads it.
 * 2. The attach unit of work claims (deletes) that pending deletion, then inserts the row. A
 *    claim that finds nothing means a sweeper took it (an upload that outlived its grace): the
 *    unit of work fails rather than commit a row whose object may be gone.
 * 3. A failed unit of work leaves the pending deletion in place (its claim rolled back);
 *    `discard` makes it due now.
 * 4. Deleting a row (replaced receipt; trip or list deleted, through the cascades) queues its
 *    object in the same transaction: a trigger on `receipt_files` does it, whatever deleted the row.
 * 5. `sweep` locks due deletions (FOR UPDATE SKIP LOCKED: instances share the work, each entry
 *    handled once at a time), deletes their objects (idempotent) unless a row names the key,
 *    and forgets them, in one transaction per batch: a crash midway leaves them queued.
 * 6. `scanOrphans` lists the prefix and queues objects older than the grace that no row names
 *    (what step 1 cannot cover: a deletion queue lost with a database restore, stray objects).
 */
export class S3ReceiptStorage extends ReceiptStorage implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(S3ReceiptStorage.name);
  private readonly timers: NodeJS.Timeout[] = [];
  /** The periodic task under way (tasks never overlap); awaited before the pool closes. */
  private busy: Promise<void> | null = null;

  constructor(
    files: ReceiptFilesRepository,
    clock: Clock,
    private readonly s3: S3Client,
    private readonly settings: S3Settings,
  ) {
    super(files, clock);
  }

  onApplicationBootstrap(): void {
    this.every(this.settings.sweepIntervalMs, () => this.sweep());
    this.every(this.settings.orphanScanIntervalMs, async () => {
      await this.scanOrphans();
      await this.sweep();
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    await this.busy;
    this.s3.destroy();
  }

  async stage(file: NewReceiptFile): Promise<void> {
    const deadline = new Date(this.clock.now().getTime() + this.settings.uploadGraceMs);
    await this.files.expectUpload(file.key, deadline);
    try {
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.settings.bucket,
          Key: this.objectKey(file.key),
          Body: file.body,
          ContentType: file.contentType,
        }),
      );
    } catch (error) {
      await this.discard(file.key);
      throw error;
    }
  }

  async put(file: NewReceiptFile): Promise<void> {
    if (!(await this.files.claimUpload(file.key))) {
      throw new Error(`receipt ${file.key}: its upload outlived RECEIPT_UPLOAD_GRACE_SEC and was swept`);
    }
    await this.files.insert(this.row(file, null));
  }

  async discard(key: string): Promise<void> {
    try {
      await this.files.queueDeletion(key);
    } catch (error) {
      // Still pending from `stage`: swept once its grace has passed.
      this.logger.warn({ err: error, key }, 'could not queue the object of a failed upload now');
    }
  }

  /** Deletes the objects whose deletion is due, except any a row names; returns how many it deleted. */
  async sweep(): Promise<number> {
    let deleted = 0;
    for (;;) {
      const batch = await this.sweepBatch();
      deleted += batch.deleted;
      if (batch.handled < SWEEP_BATCH) return deleted;
    }
  }

  /** Queues the objects under the prefix, older than the grace, that no row names; returns how many. */
  async scanOrphans(): Promise<number> {
    const cutoff = this.clock.now().getTime() - this.settings.uploadGraceMs;
    const { bucket, prefix } = this.settings;
    let queued = 0;
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
      );
      const old = (page.Contents ?? [])
        .filter((object) => object.Key && object.LastModified && object.LastModified.getTime() < cutoff)
        .map((object) => object.Key!.slice(prefix.length));
      queued += await this.files.queueOrphans(old);
      token = page.NextContinuationToken;
    } while (token);
    return queued;
  }

  protected async readObject(key: string): Promise<Buffer | null> {
    try {
      const object = await this.s3.send(
        new GetObjectCommand({ Bucket: this.settings.bucket, Key: this.objectKey(key) }),
      );
      return object.Body ? Buffer.from(await object.Body.transformToByteArray()) : null;
    } catch (error) {
      // Some S3-compatible servers answer a bare 404 rather than NoSuchKey.
      if (
        error instanceof NoSuchKey ||
        (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404
      ) {
        return null;
      }
      throw error;
    }
  }

  @Transactional()
  private async sweepBatch(): Promise<{ handled: number; deleted: number }> {
    const due = await this.files.lockDueDeletions(this.clock.now(), SWEEP_BATCH);
    const gone = due.filter((deletion) => !deletion.kept).map((deletion) => deletion.key);
    await this.deleteObjects(gone);
    await this.files.forgetDeletions(due.map((deletion) => deletion.key));
    return { handled: due.length, deleted: gone.length };
  }

  /** Deleting a missing object succeeds (S3 semantics), so a repeated sweep is harmless. */
  private async deleteObjects(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    const result = await this.s3.send(
      new DeleteObjectsCommand({
        Bucket: this.settings.bucket,
        Delete: { Objects: keys.map((key) => ({ Key: this.objectKey(key) })), Quiet: true },
      }),
    );
    const failed = result.Errors ?? [];
    if (failed.length > 0) {
      throw new Error(`could not delete ${failed.length} receipt objects: ${failed[0].Code} ${failed[0].Message}`);
    }
  }

  private objectKey(key: string): string {
    return `${this.settings.prefix}${key}`;
  }

  private every(ms: number, task: () => Promise<unknown>): void {
    const timer = setInterval(() => {
      if (this.busy) return;
      this.busy = task()
        .then(
          () => undefined,
          (error: unknown) => this.logger.warn({ err: error }, 'receipt object sweep failed; it will run again'),
        )
        .finally(() => (this.busy = null));
    }, ms);
    timer.unref();
    this.timers.push(timer);
  }
}
