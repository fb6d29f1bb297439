import { Clock } from '../common/clock/clock';
import { ReceiptFilesRepository } from './receipt-files.repository';

/** A receipt about to be attached to its trip; the key is server-generated (`<tripId>/<uuid>.<ext>`). */
export interface NewReceiptFile {
  key: string;
  tripId: string;
  listId: string;
  contentType: string;
  body: Buffer;
}

/** A stored receipt, as served. */
export interface ReceiptFile {
  body: Buffer;
  contentType: string;
}

/**
 * Where receipt files live. Each file has a row in `receipt_files` (trip, list, type, size),
 * written and deleted inside the attach unit of work and deleted with its trip or list by the
 * foreign-key cascades; its bytes are in that row (PostgreSQL) or in a bucket (S3). The attach
 * use case runs `stage` before its unit of work, `put` and `remove` inside it and `discard`
 * when it failed, so that a failed attach leaves nothing behind and a committed one is whole.
 */
export abstract class ReceiptStorage {
  constructor(
    protected readonly files: ReceiptFilesRepository,
    protected readonly clock: Clock,
  ) {}

  /** Before the unit of work: writes what cannot take part in a transaction (an object). */
  abstract stage(file: NewReceiptFile): Promise<void>;

  /** Inside the unit of work: stores the file's row (and its bytes, where they are kept in it). */
  abstract put(file: NewReceiptFile): Promise<void>;

  /** After a unit of work that failed: removes what `stage` wrote. Never throws. */
  abstract discard(key: string): Promise<void>;

  /** The bytes of a file whose row does not hold them; null when they are missing. */
  protected abstract readObject(key: string): Promise<Buffer | null>;

  /** Inside the unit of work: removes the trip's file (a replaced receipt). */
  remove(tripId: string, key: string): Promise<void> {
    return this.files.delete(tripId, key);
  }

  /** The trip's file under `key`; null when there is none. */
  async get(tripId: string, key: string): Promise<ReceiptFile | null> {
    const row = await this.files.find(tripId, key);
    const body = row && (row.bytes ?? (await this.readObject(key)));
    return row && body ? { body, contentType: row.contentType } : null;
  }

  protected row(file: NewReceiptFile, bytes: Buffer | null) {
    const { key, tripId, listId, contentType, body } = file;
    return { key, tripId, listId, contentType, size: body.length, bytes, createdAt: this.clock.now() };
  }
}

/** The default: the bytes are in the file's row, so the file commits and rolls back with it. */
export class PostgresReceiptStorage extends ReceiptStorage {
  async stage(): Promise<void> {}

  put(file: NewReceiptFile): Promise<void> {
    return this.files.insert(this.row(file, file.body));
  }

  /** The row rolled back with its unit of work: nothing is left to remove. */
  async discard(): Promise<void> {}

  /** Rows of the PostgreSQL store always hold their bytes; one without (an S3 row) has no object here. */
  protected readObject(): Promise<Buffer | null> {
    return Promise.resolve(null);
  }
}
