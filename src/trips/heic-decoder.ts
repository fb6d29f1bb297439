import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Worker } from 'node:worker_threads';
import { tripsConfig } from '../config/trips.config';

/** A decoded photo: RGBA, 4 bytes per pixel. */
export interface DecodedImage {
  width: number;
  height: number;
  data: Buffer;
}

/** The photo could not be decoded: bad data, a decoder crash, the memory cap or the timeout. */
export class HeicUnreadable extends Error {}

/** Every decoder is busy and the queue is full: try again shortly. */
export class HeicBusy extends Error {}

/**
 * The worker: heic-decode (libheif compiled to WebAssembly) on the bytes it is given, at the
 * lowest CPU priority (on Linux, `setPriority(0, …)` is the calling thread's: the event loop's
 * thread keeps precedence), its console silenced (libheif prints what it cannot parse), the
 * pixels handed back without a copy. CommonJS run with `eval`, so it needs no build step; the decoder's path comes from
 * the main thread's resolution.
 */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
try {
  require('node:os').setPriority(19);
} catch {}
for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace']) console[method] = () => {};
const decode = require(workerData.decoder);
decode({ buffer: workerData.bytes }).then(
  (image) => parentPort.postMessage({ width: image.width, height: image.height, data: image.data }, [image.data.buffer]),
  (error) => parentPort.postMessage({ error: String((error && error.message) || error) }),
);
`;

/**
 * Decodes HEIC photos off the main thread: one worker thread per photo, with a heap cap
 * (`RECEIPT_DECODE_HEAP_MB`) and a deadline (`RECEIPT_DECODE_TIMEOUT_MS`), at most
 * `RECEIPT_DECODE_WORKERS` at a time and `RECEIPT_DECODE_QUEUE` waiting (beyond: `HeicBusy`).
 * A worker that fails, crashes, runs out of memory or out of time is terminated and the
 * photo is `HeicUnreadable`; the process and the event loop are never at stake. Callers
 * check the declared size first: the pixels (off the heap) are bounded by that check.
 */
@Injectable()
export class HeicDecoder {
  private readonly decoderPath = require.resolve('heic-decode');
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(@Inject(tripsConfig.KEY) private readonly config: ConfigType<typeof tripsConfig>) {}

  async decode(bytes: Buffer): Promise<DecodedImage> {
    await this.slot();
    try {
      return await this.inWorker(bytes);
    } finally {
      this.release();
    }
  }

  private slot(): Promise<void> {
    const { workers, queue } = this.config.decode;
    if (this.running < workers) {
      this.running++;
      return Promise.resolve();
    }
    if (this.waiting.length >= queue) return Promise.reject(new HeicBusy());
    // The slot passes straight to the next in line: `running` stays as it is.
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }

  private inWorker(bytes: Buffer): Promise<DecodedImage> {
    const { heapMb, timeoutMs } = this.config.decode;
    return new Promise((resolve, reject) => {
      const worker = new Worker(WORKER, {
        eval: true,
        workerData: { decoder: this.decoderPath, bytes },
        resourceLimits: {
          maxOldGenerationSizeMb: heapMb,
          maxYoungGenerationSizeMb: Math.min(16, heapMb),
          stackSizeMb: 4,
        },
        stdout: true,
        stderr: true,
      });
      worker.stdout.resume();
      worker.stderr.resume();
      let settled = false;
      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        void worker.terminate();
        outcome();
      };
      const deadline = setTimeout(
        () => settle(() => reject(new HeicUnreadable(`no result within ${timeoutMs} ms`))),
        timeoutMs,
      );
      worker.once(
        'message',
        (message: { width: number; height: number; data: Uint8ClampedArray } | { error: string }) =>
          settle(() => {
            if ('error' in message) return reject(new HeicUnreadable(message.error));
            const { width, height, data } = message;
            resolve({ width, height, data: Buffer.from(data.buffer, data.byteOffset, data.byteLength) });
          }),
      );
      worker.once('error', (error: Error) => settle(() => reject(new HeicUnreadable(error.message))));
      worker.once('exit', (code) => settle(() => reject(new HeicUnreadable(`decoder exited with ${code}`))));
    });
  }
}
