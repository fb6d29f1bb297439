import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Receipt files live in the database (their bytes, or the key of their object in an S3 bucket),
 * so every instance serves every receipt, and a file goes with its trip and list by construction.
 */
export class ReceiptFiles1764100000001 implements MigrationInterface {
  name = 'ReceiptFiles1764100000001';

  async up(db: QueryRunner): Promise<void> {
    // A file names its trip and the trip's list together: it cannot claim another list.
    await db.query(`ALTER TABLE trips ADD CONSTRAINT trips_id_list_id_key UNIQUE (id, list_id)`);
    await db.query(`
      CREATE TABLE receipt_files (
        key          text PRIMARY KEY,
        trip_id      uuid NOT NULL,
        list_id      uuid NOT NULL,
        content_type text NOT NULL,
        size         integer NOT NULL CHECK (size >= 0),
        -- The bytes (RECEIPT_STORE=postgres); NULL when they are the object stored under key (s3).
        bytes        bytea,
        created_at   timestamptz NOT NULL,
        CONSTRAINT receipt_files_trip_fkey FOREIGN KEY (trip_id, list_id)
          REFERENCES trips (id, list_id) ON DELETE CASCADE,
        CHECK (bytes IS NULL OR octet_length(bytes) = size)
      )`);
    await db.query(`CREATE INDEX receipt_files_trip_id_idx ON receipt_files (trip_id)`);
    // Photos are JPEG/PNG/WebP and PDFs compressed streams: kept out of line, never recompressed.
    await db.query(`ALTER TABLE receipt_files ALTER COLUMN bytes SET STORAGE EXTERNAL`);
    // A trip points at a stored file or at none. NOT VALID: receipts written by the earlier disk
    // store have no row; they answer 404, as a missing file did.
    await db.query(`
      ALTER TABLE trips ADD CONSTRAINT trips_receipt_key_fkey
        FOREIGN KEY (receipt_key) REFERENCES receipt_files (key) NOT VALID`);
    // Objects to delete from the bucket. not_before NULL: the object's row is gone, delete it now.
    // A time: an upload under way; unless the unit of work that stores its row claims (deletes)
    // this entry first, the object is deleted once that time has passed.
    await db.query(`
      CREATE TABLE receipt_object_deletions (
        key        text PRIMARY KEY,
        not_before timestamptz
      )`);
    // Whatever deletes the row of an object (a replaced receipt, a deleted trip or list through the
    // cascades) queues the object in the same transaction: committed together or not at all.
    await db.query(`
      CREATE FUNCTION receipt_files_queue_object_deletion() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO receipt_object_deletions (key, not_before) VALUES (OLD.key, NULL)
          ON CONFLICT (key) DO UPDATE SET not_before = NULL;
        RETURN NULL;
      END
      $$`);
    await db.query(`
      CREATE TRIGGER receipt_files_object_deleted AFTER DELETE ON receipt_files
        FOR EACH ROW WHEN (OLD.bytes IS NULL) EXECUTE FUNCTION receipt_files_queue_object_deletion()`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE trips DROP CONSTRAINT trips_receipt_key_fkey`);
    await db.query(`DROP TRIGGER receipt_files_object_deleted ON receipt_files`);
    await db.query(`DROP FUNCTION receipt_files_queue_object_deletion()`);
    await db.query(`DROP TABLE receipt_object_deletions`);
    await db.query(`DROP TABLE receipt_files`);
    await db.query(`ALTER TABLE trips DROP CONSTRAINT trips_id_list_id_key`);
  }
}
