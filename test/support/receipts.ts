import sharp from 'sharp';
import type { TestApp } from './app';
import type { Registered } from './factories';
import { buy } from './lists';

/** A trip as the API answers it (the parts the receipt specs read). */
export interface Trip {
  id: string;
  listId: string;
  receiptUrl: string | null;
}

export interface UploadedFile {
  filename?: string;
  contentType?: string;
}

/** Buffers a binary response body (supertest only parses text and JSON by itself). */
export function binary(res: unknown, done: (error: Error | null, body: Buffer) => void): void {
  const stream = res as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.on('end', () => done(null, Buffer.concat(chunks)));
}

/** A small photo; `gps` adds camera and GPS EXIF tags as phones do. */
export function photo(
  format: 'jpeg' | 'png' | 'webp',
  options: { width?: number; height?: number; gps?: boolean } = {},
): Promise<Buffer> {
  let image = sharp({
    create: { width: options.width ?? 40, height: options.height ?? 30, channels: 3, background: '#c81e1e' },
  });
  if (options.gps) {
    image = image.withExif({
      IFD0: { Make: 'PhoneCo', Model: 'Pocket 12' },
      IFD3: {
        GPSLatitudeRef: 'N',
        GPSLatitude: '48/1 51/1 2978/100',
        GPSLongitudeRef: 'E',
        GPSLongitude: '2/1 17/1 4022/100',
      },
    });
  }
  return image.toFormat(format).toBuffer();
}

/** The path, expiry and signature of a signed receipt link. */
export function linkParts(url: string): { path: string; expires: string; sig: string } {
  const parsed = new URL(url);
  return {
    path: parsed.pathname,
    expires: parsed.searchParams.get('expires')!,
    sig: parsed.searchParams.get('sig')!,
  };
}

/** The storage key a signed link names: `<tripId>/<file>`. */
export function keyOf(url: string): string {
  return linkParts(url).path.slice('/receipts/'.length);
}

/** The keys of the receipt files the database holds (`<tripId>/<file>`), sorted. */
export async function storedReceiptKeys(t: TestApp): Promise<string[]> {
  const rows: { key: string }[] = await t.dataSource.query(`SELECT key FROM receipt_files ORDER BY key`);
  return rows.map((row) => row.key);
}

/** The receipt steps of the specs, on app `t` (an instance of the cluster, in multi-instance specs). */
export function receiptSteps(t: TestApp) {
  /** A completed trip of `u`'s list (one item bought). */
  const tripOf = async (u: Registered, listId = u.listId): Promise<Trip> => {
    await buy(t, u, listId, ['Milk']);
    return (await t.http.post(`/lists/${listId}/trips`).set(u.auth).send({}).expect(201)).body as Trip;
  };
  const upload = (u: Registered, trip: Pick<Trip, 'id' | 'listId'>, body: Buffer, file: UploadedFile = {}) =>
    t.http
      .post(`/lists/${trip.listId}/trips/${trip.id}/receipt`)
      .set(u.auth)
      .attach('receipt', body, {
        filename: file.filename ?? 'receipt.jpg',
        contentType: file.contentType ?? 'image/jpeg',
      });
  /** Uploads the receipt (200 asserted) and returns the trip as answered. */
  const attach = async (u: Registered, trip: Trip, body: Buffer, file?: UploadedFile) =>
    (await upload(u, trip, body, file).expect(200)).body as Trip;
  /** Opens a link the way an image view does: no headers, just the URL's path and query. */
  const open = (url: string) => {
    const { pathname, search } = new URL(url);
    return t.http.get(`${pathname}${search}`).buffer(true).parse(binary);
  };
  return { tripOf, upload, attach, open };
}
