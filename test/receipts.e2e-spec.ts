import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { HeicDecoder } from '../src/trips/heic-decoder';
import { useTestApp } from './support/app';
import { setNow } from './support/clock';
import { expectHiddenList, expectInvalid, withoutRequestId } from './support/expect';
import { expectErrorBody, registerUser } from './support/factories';
import { buy, secondList } from './support/lists';
import { linkParts, photo, receiptSteps, storedReceiptKeys, Trip } from './support/receipts';
import { TestSocket, wsUrl } from './support/ws-client';

const PUBLIC_URL = 'https://cartsync.example.test';
const TTL_SEC = 60;
const MAX_BYTES = 200_000;
/** A real HEIC photo (64×48, solid red), made with libheif's heif-enc. */
const HEIC_FIXTURE = join(__dirname, 'fixtures', 'receipt.heic');
/** A 13 KB HEIC of 8000×7000 white pixels (heif-enc -q 10 of a white PNG). */
const HEIC_BOMB = join(__dirname, 'fixtures', 'receipt-bomb-8000x7000.heic');

/** A PNG that is only a header declaring `width`×`height` (no pixel data follows). */
function pngHeader(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(25);
  ihdr.writeUInt32BE(13, 0);
  ihdr.write('IHDR', 4, 'latin1');
  ihdr.writeUInt32BE(width, 8);
  ihdr.writeUInt32BE(height, 12);
  ihdr.set([8, 2, 0, 0, 0], 16);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), ihdr, Buffer.alloc(64)]);
}

const PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\n' +
    'trailer <</Root 1 0 R>>\n%%EOF\n',
  'latin1',
);

describe('receipts', () => {
  const t = useTestApp({
    PUBLIC_URL,
    RECEIPT_MAX_BYTES: String(MAX_BYTES),
    RECEIPT_MAX_PIXELS: '1000000',
    RECEIPT_URL_TTL_SEC: String(TTL_SEC),
  });
  afterEach(() => jest.restoreAllMocks());
  const { tripOf, upload, attach, open } = receiptSteps(t);

  const storedFiles = () => storedReceiptKeys(t);
  /** The bytes stored under `key`. */
  const storedBytes = async (key: string): Promise<Buffer> => {
    const [row]: { bytes: Buffer }[] = await t.dataSource.query(`SELECT bytes FROM receipt_files WHERE key = $1`, [
      key,
    ]);
    return row.bytes;
  };

  describe('POST /lists/:listId/trips/:tripId/receipt', () => {
    it('should store the photo under a server-generated name and answer the trip with an absolute signed link', async () => {
      // The whole story happens at that time: sessions, too, live by the server's clock.
      const now = new Date('2030-01-01T12:00:00.000Z');
      setNow(t, now);
      const ana = await registerUser(t);
      const trip = await tripOf(ana);

      const res = await upload(ana, trip, await photo('jpeg'), { filename: '../../../etc/evil.jpg' }).expect(200);

      const { items: _items, removedItemIds: _removed, ...summary } = trip as Trip & Record<string, unknown>;
      expect(res.body).toEqual({ ...summary, receiptUrl: expect.any(String) });
      const url = res.body.receiptUrl as string;
      expect(url).toMatch(
        new RegExp(`^${PUBLIC_URL}/receipts/${trip.id}/[0-9a-f-]{36}\\.jpg\\?expires=\\d+&sig=[A-Za-z0-9_-]+$`),
      );
      expect(Number(linkParts(url).expires)).toBe(now.getTime() / 1000 + TTL_SEC);
      const file = linkParts(url).path.slice('/receipts/'.length);
      expect(await storedFiles()).toEqual([file]);
    });

    it('should give the trip detail and history a working link to the receipt', async () => {
      const ana = await registerUser(t);
      const trip = await tripOf(ana);
      await attach(ana, trip, await photo('jpeg'));

      const detail = await t.http.get(`/lists/${ana.listId}/trips/${trip.id}`).set(ana.auth).expect(200);
      const history = await t.http.get(`/lists/${ana.listId}/trips`).set(ana.auth).expect(200);

      expect(history.body[0].receiptUrl).toMatch(new RegExp(`^${PUBLIC_URL}/receipts/${trip.id}/`));
      await open(detail.body.receiptUrl as string).expect(200);
      await open(history.body[0].receiptUrl as string).expect(200);
    });

    it('should append trip:updated with the new link to the list', async () => {
      const ana = await registerUser(t);
      const trip = await tripOf(ana);
      setNow(t, new Date());
      const { seq } = (await t.http.get(`/lists/${ana.listId}`).set(ana.auth).expect(200)).body as { seq: number };
      const socket = await TestSocket.open(wsUrl(t, `/ws/lists/${ana.listId}?token=${ana.token}&since=${seq}`));

      const updated = await attach(ana, trip, await photo('png'), { contentType: 'image/png' });

      await socket.waitForSeq(seq + 1);
      expect(socket.durable()).toEqual([{ type: 'trip:updated', seq: seq + 1, payload: updated }]);
      await socket.close();
    });

    it('should replay trip:completed and trip:updated hours later with the trip’s receipt link, one that opens', async () => {
      const start = new Date();
      setNow(t, start);
      const ana = await registerUser(t);
      await buy(t, ana, ana.listId, ['Milk']);
      const { seq } = (await t.http.get(`/lists/${ana.listId}`).set(ana.auth).expect(200)).body as { seq: number };
      const trip = (await t.http.post(`/lists/${ana.listId}/trips`).set(ana.auth).send({}).expect(201)).body as Trip;
      await attach(ana, trip, await photo('jpeg'));

      // Hours later (links live TTL_SEC), a phone catches up from before the trip.
      const later = new Date(start.getTime() + 5 * 3_600_000);
      setNow(t, later);
      const socket = await TestSocket.open(wsUrl(t, `/ws/lists/${ana.listId}?token=${ana.token}&since=${seq}`));
      await socket.waitForSeq(seq + 2);
      const frames = socket.durable();
      expect(frames.map((f) => [f.type, f.seq, f.payload.id as string])).toEqual([
        ['trip:completed', seq + 1, trip.id],
        ['trip:updated', seq + 2, trip.id],
      ]);
      for (const frame of frames) {
        const url = frame.payload.receiptUrl as string;
        expect(Number(linkParts(url).expires)).toBe(Math.floor(later.getTime() / 1000) + TTL_SEC);
        await open(url).expect(200);
      }
      // What the log keeps is a reference, never a signed link.
      const stored: { payload: { receiptUrl: unknown } }[] = await t.dataSource.query(
        `SELECT payload FROM list_events WHERE list_id = $1 AND seq > $2 ORDER BY seq`,
        [ana.listId, seq],
      );
      expect(stored.map((row) => row.payload.receiptUrl)).toEqual([null, null]);
      await socket.close();
    });

    it('should decide the type from the bytes: a PNG named .jpg and sent as image/jpeg stays a PNG', async () => {
      const ana = await registerUser(t);
      const trip = await tripOf(ana);

      const { receiptUrl } = await attach(ana, trip, await photo('png'), {
        filename: 'receipt.jpg',
        contentType: 'image/jpeg',
      });

      expect(receiptUrl).toMatch(/\.png\?/);
      const served = await open(receiptUrl!).expect(200);
      expect(served.headers['content-type']).toBe('image/png');
      expect((await sharp(served.body as Buffer).metadata()).format).toBe('png');
    });

    it('should take a WebP photo and serve it as image/webp', async () => {
      const ana = await registerUser(t);
      const trip = await tripOf(ana);
      const { receiptUrl } = await attach(ana, trip, await photo('webp'), { contentType: 'application/octet-stream' });
      const served = await open(receiptUrl!).expect(200);
      expect(served.headers['content-type']).toBe('image/webp');
      expect((await sharp(served.body as Buffer).metadata()).format).toBe('webp');
    });

    it('should keep a PDF as it is and serve it as application/pdf under a sandboxing CSP', async () => {
      const ana = await registerUser(t);
      const trip = await tripOf(ana);

      const { receiptUrl } = await attach(ana, trip, PDF, { filename: 'receipt.png', contentType: 'image/png' });

      expect(receiptUrl).toMatch(/\.pdf\?/);
      const served = await open(receiptUrl!).expect(200);
      expect(served.headers['content-type']).toBe('application/pdf');
      expect(served.headers['x-content-type-options']).toBe('nosniff');
      expect(served.headers['content-security-policy']).toMatch(/(^|;)\s*sandbox\b/);
      expect(Buffer.compare(served.body as Buffer, PDF)).toBe(0);
    });

    it('should turn a real HEIC photo into a JPEG', async () => {
      const ana = await registerUser(t);
      const trip = await tripOf(ana);
      const heic = await readFile(HEIC_FIXTURE);
      expect(heic.subarray(4, 12).toString('latin1')).toBe('ftypheic');

      const { receiptUrl } = await attach(ana, trip, heic, { filename: 'IMG_0001.HEIC', contentType: 'image/heic' });

      expect(receiptUrl).toMatch(/\.jpg\?/);
      const served = await open(receiptUrl!).expect(200);
      expect(served.headers['content-type']).toBe('image/jpeg');
      const metadata = await sharp(served.body as Buffer).metadata();
      expect(metadata).toMatchObject({ format: 'jpeg', width: 64, height: 48 });
      const { dominant } = await sharp(served.body as Buffer).stats();
      expect(dominant.r).toBeGreaterThan(150);
      expect(dominant.g).toBeLessThan(100);
    });

    it('should drop the EXIF data (with its GPS position) from a photo', async () => {
      const ana = await registerUser(t);
      const trip = await tripOf(ana);
      const original = await photo('jpeg', { gps: true });
      expect((await sharp(original).metadata()).exif).toBeDefined();

      const { receiptUrl } = await attach(ana, trip, original);

      const served = (await open(receiptUrl!).expect(200)).body as Buffer;
      expect((await sharp(served).metadata()).exif).toBeUndefined();
      expect(served.includes(Buffer.from('PhoneCo'))).toBe(false);
      const [stored] = await storedFiles();
      expect(Buffer.compare(await storedBytes(stored), served)).toBe(0);
    });

    it('should re-encode a polyglot JPEG so the script and zip hidden after it are gone', async () => {
      const ana = await registerUser(t);
      const trip = await tripOf(ana);
      const polyglot = Buffer.concat([
        await photo('jpeg'),
        Buffer.from('<html><script>alert(document.cookie)</script></html>'),
        Buffer.from('PK\x03\x04\x14\x00\x00\x00payload.js', 'latin1'),
      ]);

      const { receiptUrl } = await attach(ana, trip, polyglot);

      const served = (await open(receiptUrl!).expect(200)).body as Buffer;
      expect(served.includes(Buffer.from('<script>'))).toBe(false);
      expect(served.includes(Buffer.from('PK\x03\x04', 'latin1'))).toBe(false);
      expect((await sharp(served).metadata()).format).toBe('jpeg');
    });

    it.each([
      ['a text file named receipt.jpg', Buffer.from('Milk 1.29\nBread 2.49\nTotal 3.78\n'), 'image/jpeg'],
      ['an HTML page', Buffer.from('<html><script>alert(1)</script></html>'), 'image/png'],
      [
        'an SVG image',
        Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        'image/svg+xml',
      ],
      ['a GIF', Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1'), 'image/gif'],
      [
        'a JPEG header followed by garbage',
        Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(500, 7)]),
        'image/jpeg',
      ],
      [
        'a HEIC header followed by garbage',
        Buffer.concat([
          Buffer.from('\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic', 'latin1'),
          Buffer.alloc(500, 9),
        ]),
        'image/heic',
      ],
      ['an empty file', Buffer.alloc(0), 'image/jpeg'],
    ])('should answer 415 for %s, and write nothing', async (_case, body, contentType) => {
      const ana = await registerUser(t);
      const trip = await tripOf(ana);
      const res = await upload(ana, trip, body, { contentType }).expect(415);

      expectErrorBody(res.body, 415);
      expect(await storedFiles()).toEqual([]);
      const detail = await t.http.get(`/lists/${ana.listId}/trips/${trip.id}`).set(ana.auth).expect(200);
      expect(detail.body.receiptUrl).toBeNull();
    });

    it('should answer 413 for a file over RECEIPT_MAX_BYTES, and write nothing', async () => {
      const ana = await registerUser(t);
      const trip = await tripOf(ana);
      const tooBig = Buffer.concat([await photo('jpeg'), Buffer.alloc(MAX_BYTES, 1)]);

      const res = await upload(ana, trip, tooBig).expect(413);

      expectErrorBody(res.body, 413);
      expect(await storedFiles()).toEqual([]);
      const detail = await t.http.get(`/lists/${ana.listId}/trips/${trip.id}`).set(ana.auth).expect(200);
      expect(detail.body.receiptUrl).toBeNull();
    });

    it('should answer 413 for an oversized replacement and keep the receipt the trip had', async () => {
      const ana = await registerUser(t);
      const trip = await tripOf(ana);
      const { receiptUrl } = await attach(ana, trip, await photo('jpeg'));
      const before = await storedFiles();

      await upload(ana, trip, Buffer.concat([await photo('jpeg'), Buffer.alloc(MAX_BYTES, 1)])).expect(413);

      expect(await storedFiles()).toEqual(before);
      await open(receiptUrl!).expect(200);
    });

    it('should answer 422 for a photo over RECEIPT_MAX_PIXELS, and write nothing', async () => {
      const ana = await registerUser(t);
      const trip = await tripOf(ana);
      const huge = await photo('png', { width: 2000, height: 2000 });
      expect(huge.length).toBeLessThan(MAX_BYTES);

      const res = await upload(ana, trip, huge, { contentType: 'image/png' }).expect(422);

      expectErrorBody(res.body, 422);
      expect(await storedFiles()).toEqual([]);
    });

    it('should answer 422 for a HEIC whose header declares more than RECEIPT_MAX_PIXELS, without decoding it', async () => {
      const ana = await registerUser(t);
      const trip = await tripOf(ana);
      const decode = jest.spyOn(t.app.get(HeicDecoder), 'decode');

      const res = await upload(ana, trip, await readFile(HEIC_BOMB), { contentType: 'image/heic' }).expect(422);

      expect(withoutRequestId(res.body)).toEqual({
        statusCode: 422,
        error: 'Unprocessable Entity',
        message: 'The photo has too many pixels.',
      });
      expect(decode).not.toHaveBeenCalled();
      expect(await storedFiles()).toEqual([]);
    });

    it('should answer 422 for a PNG whose header declares more than RECEIPT_MAX_PIXELS, before decoding', async () => {
      const ana = await registerUser(t);
      const trip = await tripOf(ana);

      const res = await upload(ana, trip, pngHeader(100_000, 100_000), { contentType: 'image/png' }).expect(422);

      expect(res.body).toMatchObject({ statusCode: 422, message: 'The photo has too many pixels.' });
      expect(await storedFiles()).toEqual([]);
    });

    it('should answer 415 for a HEIC whose header declares a small photo over a huge bitstream', async () => {
      const ana = await registerUser(t);
      const trip = await tripOf(ana);
      const liar = await readFile(HEIC_BOMB);
      const ispe = liar.indexOf('ispe');
      liar.writeUInt32BE(64, ispe + 8);
      liar.writeUInt32BE(48, ispe + 12);

      const res = await upload(ana, trip, liar, { contentType: 'image/heic' }).expect(415);

      expect(res.body).toMatchObject({
        statusCode: 415,
        message: 'The file could not be read as the image it claims to be.',
      });
      expect(await storedFiles()).toEqual([]);
    });

    it('should replace the receipt: the old file is deleted and its link answers 404', async () => {
      const ana = await registerUser(t);
      const trip = await tripOf(ana);
      const first = await attach(ana, trip, await photo('jpeg'));
      const [firstFile] = await storedFiles();

      const second = await attach(ana, trip, await photo('png'), { contentType: 'image/png' });

      const files = await storedFiles();
      expect(files).toHaveLength(1);
      expect(files[0]).not.toBe(firstFile);
      expect(files).not.toContain(firstFile);
      const gone = await t.http
        .get(new URL(first.receiptUrl!).pathname + new URL(first.receiptUrl!).search)
        .expect(404);
      expectErrorBody(gone.body, 404);
      expect((await open(second.receiptUrl!).expect(200)).headers['content-type']).toBe('image/png');
    });

    it('should answer 400 when no file is sent in the receipt field', async () => {
      const ana = await registerUser(t);
      const trip = await tripOf(ana);
      const none = await t.http.post(`/lists/${ana.listId}/trips/${trip.id}/receipt`).set(ana.auth).field('note', 'x');
      expect(none.status).toBe(400);
      expectErrorBody(none.body, 400);
      const elsewhere = await t.http
        .post(`/lists/${ana.listId}/trips/${trip.id}/receipt`)
        .set(ana.auth)
        .attach('photo', await photo('jpeg'), { filename: 'receipt.jpg', contentType: 'image/jpeg' });
      expect(elsewhere.status).toBe(400);
      expectErrorBody(elsewhere.body, 400);
      expect(await storedFiles()).toEqual([]);
    });

    it('should answer 404 for a trip of another list, even one the caller can see there, and write nothing', async () => {
      const ana = await registerUser(t);
      const cabinTrip = await tripOf(ana, await secondList(t, ana));

      const res = await upload(ana, { id: cabinTrip.id, listId: ana.listId }, await photo('jpeg')).expect(404);

      expectErrorBody(res.body, 404);
      const missing = await upload(ana, { id: randomUUID(), listId: ana.listId }, await photo('jpeg')).expect(404);
      expect(withoutRequestId(res.body)).toEqual(withoutRequestId(missing.body));
      expect(await storedFiles()).toEqual([]);
    });

    it('should answer 400 naming the trip id when it is not a UUID', async () => {
      const ana = await registerUser(t);
      expectInvalid(await upload(ana, { id: 'latest', listId: ana.listId }, await photo('jpeg')), 'tripId');
    });

    it('should answer 404 for a list the caller is not a member of, exactly as for a missing list', async () => {
      const ana = await registerUser(t);
      const trip = await tripOf(ana);
      const image = await photo('jpeg');
      await expectHiddenList(t, (u, listId) => upload(u, { id: trip.id, listId }, image), trip.listId);
      expect(await storedFiles()).toEqual([]);
    });

    it('should require authentication', async () => {
      const ana = await registerUser(t);
      const trip = await tripOf(ana);
      const res = await t.http
        .post(`/lists/${ana.listId}/trips/${trip.id}/receipt`)
        .attach('receipt', await photo('jpeg'), { filename: 'receipt.jpg', contentType: 'image/jpeg' })
        .expect(401);
      expectErrorBody(res.body, 401);
      expect(await storedFiles()).toEqual([]);
    });
  });

  describe('GET /receipts/:tripId/:file', () => {
    it('should serve the file without any header, with its real type, nosniff and a sandboxing CSP', async () => {
      const ana = await registerUser(t);
      const trip = await tripOf(ana);
      const { receiptUrl } = await attach(ana, trip, await photo('jpeg'));

      const served = await open(receiptUrl!).expect(200);

      expect(served.headers['content-type']).toBe('image/jpeg');
      expect(served.headers['x-content-type-options']).toBe('nosniff');
      expect(served.headers['content-security-policy']).toMatch(/(^|;)\s*sandbox\b/);
      expect(served.headers['content-security-policy']).toMatch(/default-src 'none'/);
      expect((await sharp(served.body as Buffer).metadata()).format).toBe('jpeg');
    });

    it('should open until the link expires and answer 403 after that', async () => {
      const signedAt = new Date('2030-01-01T12:00:00.000Z');
      setNow(t, signedAt);
      const ana = await registerUser(t);
      const trip = await tripOf(ana);
      const { receiptUrl } = await attach(ana, trip, await photo('jpeg'));

      setNow(t, new Date(signedAt.getTime() + (TTL_SEC - 1) * 1000));
      await open(receiptUrl!).expect(200);
      setNow(t, new Date(signedAt.getTime() + (TTL_SEC + 1) * 1000));
      const expired = await open(receiptUrl!).expect(403);
      expectErrorBody(JSON.parse((expired.body as Buffer).toString('utf8')), 403);
    });

    it('should answer 403 for a link whose signature, expiry or path was tampered with', async () => {
      const ana = await registerUser(t);
      const trip = await tripOf(ana);
      const otherTrip = await tripOf(ana);
      const { receiptUrl } = await attach(ana, trip, await photo('jpeg'));
      await attach(ana, otherTrip, await photo('jpeg'));
      const { path, expires, sig } = linkParts(receiptUrl!);
      const flipped = `${sig.slice(0, -1)}${sig.endsWith('A') ? 'B' : 'A'}`;
      const file = path.split('/').pop()!;
      const [otherFile] = (await storedFiles()).filter((f) => f.startsWith(otherTrip.id));

      const tampered = [
        `${path}?expires=${expires}&sig=${flipped}`,
        `${path}?expires=${Number(expires) + 3600}&sig=${sig}`,
        `${path}?expires=${expires}`,
        `${path}?sig=${sig}`,
        path,
        `/receipts/${otherTrip.id}/${file}?expires=${expires}&sig=${sig}`,
        `/receipts/${otherFile}?expires=${expires}&sig=${sig}`,
        `/receipts/${trip.id}/${randomUUID()}.jpg?expires=${expires}&sig=${sig}`,
      ];
      for (const link of tampered) {
        const res = await t.http.get(link);
        expect({ link, status: res.status }).toEqual({ link, status: 403 });
        expectErrorBody(res.body, 403);
      }
      await t.http.get(`${path}?expires=${expires}&sig=${sig}`).expect(200);
    });
  });
});
