import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tripsConfig } from '../config/trips.config';
import { HeicBusy, HeicDecoder, HeicUnreadable } from './heic-decoder';

const fixtures = join(__dirname, '..', '..', 'test', 'fixtures');
/** 64×48, solid red (heif-enc). */
const PHOTO = readFileSync(join(fixtures, 'receipt.heic'));
/** 8000×7000 white (heif-enc), 13 KB. */
const BOMB = readFileSync(join(fixtures, 'receipt-bomb-8000x7000.heic'));

/** The bomb with its `ispe` box patched to declare 64×48: the header lies, the bitstream is 8000×7000. */
function liar(): Buffer {
  const bytes = Buffer.from(BOMB);
  const ispe = bytes.indexOf('ispe');
  bytes.writeUInt32BE(64, ispe + 8);
  bytes.writeUInt32BE(48, ispe + 12);
  return bytes;
}

function decoder(env: Record<string, string> = {}): HeicDecoder {
  return new HeicDecoder(tripsConfig(env));
}

describe('HeicDecoder', () => {
  jest.setTimeout(30_000);

  it('decodes a HEIC photo in a worker thread into RGBA pixels', async () => {
    const image = await decoder().decode(PHOTO);
    expect([image.width, image.height, image.data.length]).toEqual([64, 48, 64 * 48 * 4]);
    const [red, green, , alpha] = image.data;
    expect(red).toBeGreaterThan(150);
    expect(green).toBeLessThan(100);
    expect(alpha).toBe(255);
  });

  it('refuses a photo whose header lies about its size (libheif limits, in the worker), printing nothing', async () => {
    const log = jest.spyOn(console, 'log');
    const write = jest.spyOn(process.stdout, 'write');
    try {
      await expect(decoder().decode(liar())).rejects.toBeInstanceOf(HeicUnreadable);
      expect(log).not.toHaveBeenCalled();
      expect(write).not.toHaveBeenCalled();
    } finally {
      log.mockRestore();
      write.mockRestore();
    }
  });

  it('terminates a worker that reaches its heap limit: unreadable, the process unharmed', async () => {
    await expect(decoder({ RECEIPT_DECODE_HEAP_MB: '4' }).decode(PHOTO)).rejects.toThrow(
      new HeicUnreadable('Worker terminated due to reaching memory limit: JS heap out of memory'),
    );
    expect((await decoder().decode(PHOTO)).width).toBe(64);
  });

  it('terminates a worker that runs past RECEIPT_DECODE_TIMEOUT_MS: unreadable', async () => {
    await expect(decoder({ RECEIPT_DECODE_TIMEOUT_MS: '1' }).decode(PHOTO)).rejects.toThrow(
      new HeicUnreadable('no result within 1 ms'),
    );
  });

  it('answers garbage with unreadable', async () => {
    await expect(decoder().decode(Buffer.from('not a photo'))).rejects.toBeInstanceOf(HeicUnreadable);
  });

  it('runs at most RECEIPT_DECODE_WORKERS at once, queues RECEIPT_DECODE_QUEUE, refuses the rest as busy', async () => {
    const heic = decoder({ RECEIPT_DECODE_WORKERS: '1', RECEIPT_DECODE_QUEUE: '1' });

    const outcomes = await Promise.allSettled([heic.decode(PHOTO), heic.decode(PHOTO), heic.decode(PHOTO)]);

    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect((outcomes[2] as PromiseRejectedResult).reason).toBeInstanceOf(HeicBusy);
    // The slots are all free again.
    const again = await Promise.allSettled([heic.decode(PHOTO), heic.decode(PHOTO)]);
    expect(again.map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled']);
  });
});
