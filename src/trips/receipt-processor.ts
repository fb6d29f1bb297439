import {
  Inject,
  Injectable,
  ServiceUnavailableException,
  UnprocessableEntityException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { imageSize } from 'image-size';
import sharp from 'sharp';
import { tripsConfig } from '../config/trips.config';
import { HeicBusy, HeicDecoder } from './heic-decoder';

export type ReceiptType = 'image/jpeg' | 'image/png' | 'image/webp' | 'image/heic' | 'application/pdf';

export interface ProcessedReceipt {
  body: Buffer;
  contentType: 'image/jpeg' | 'image/png' | 'image/webp' | 'application/pdf';
  extension: string;
}

const HEIF_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1']);

/** The type a file really is, from its first bytes; null for anything we do not take. */
export function sniffReceiptType(bytes: Buffer): ReceiptType | null {
  const ascii = (from: number, to: number) => bytes.subarray(from, to).toString('latin1');
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) {
    return 'image/png';
  }
  if (bytes.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'image/webp';
  if (bytes.length >= 12 && ascii(4, 8) === 'ftyp' && HEIF_BRANDS.has(ascii(8, 12))) return 'image/heic';
  if (bytes.length >= 5 && ascii(0, 5) === '%PDF-') return 'application/pdf';
  return null;
}

function tooManyPixels(): UnprocessableEntityException {
  return new UnprocessableEntityException('The photo has too many pixels.');
}

/**
 * Decides the type from the bytes and re-encodes photos: that drops EXIF (phones put the
 * GPS position there) and anything a polyglot file hid after the image. HEIC becomes JPEG.
 * PDFs are kept as they are and served under a sandboxing CSP.
 *
 * Decompression bombs: a photo's declared width × height (read from its header, without
 * decoding) must be within RECEIPT_MAX_PIXELS before any decoder touches its pixels (422
 * otherwise); HEIC is decoded off the main thread (`HeicDecoder`), JPEG/PNG/WebP by sharp
 * on libuv's pool, each again refusing more pixels than the limit.
 */
@Injectable()
export class ReceiptProcessor {
  constructor(
    @Inject(tripsConfig.KEY) private readonly config: ConfigType<typeof tripsConfig>,
    private readonly heic: HeicDecoder,
  ) {}

  async process(bytes: Buffer): Promise<ProcessedReceipt> {
    const type = sniffReceiptType(bytes);
    switch (type) {
      case null:
        throw new UnsupportedMediaTypeException('Receipts must be a JPEG, PNG, WebP or HEIC photo, or a PDF.');
      case 'application/pdf':
        return { body: bytes, contentType: type, extension: 'pdf' };
      case 'image/heic':
        this.checkDeclaredSize(bytes);
        return this.encode(await this.decodeHeic(bytes), 'image/jpeg');
      case 'image/jpeg':
      case 'image/png':
      case 'image/webp':
        this.checkDeclaredSize(bytes);
        return this.encode(this.open(bytes), type);
    }
  }

  /** The size the header declares (for HEIC, its largest image), within the pixel limit; 415 when there is none. */
  private checkDeclaredSize(bytes: Buffer): void {
    let width: number | undefined;
    let height: number | undefined;
    try {
      ({ width, height } = imageSize(bytes));
    } catch (error) {
      throw this.unreadable(error);
    }
    if (!width || !height) throw this.unreadable(new Error('no declared size'));
    if (width * height > this.config.maxReceiptPixels) throw tooManyPixels();
  }

  private open(input: Buffer, raw?: sharp.CreateRaw): sharp.Sharp {
    return sharp(input, { limitInputPixels: this.config.maxReceiptPixels, failOn: 'error', ...(raw ? { raw } : {}) });
  }

  private async decodeHeic(bytes: Buffer): Promise<sharp.Sharp> {
    try {
      const image = await this.heic.decode(bytes);
      if (image.width * image.height > this.config.maxReceiptPixels) throw tooManyPixels();
      return this.open(image.data, { width: image.width, height: image.height, channels: 4 });
    } catch (error) {
      if (error instanceof UnprocessableEntityException) throw error;
      if (error instanceof HeicBusy) {
        throw new ServiceUnavailableException(
          'Too many photos are being converted right now; please try again shortly.',
        );
      }
      throw this.unreadable(error);
    }
  }

  private async encode(image: sharp.Sharp, type: 'image/jpeg' | 'image/png' | 'image/webp'): Promise<ProcessedReceipt> {
    try {
      const oriented = image.rotate();
      switch (type) {
        case 'image/png':
          return { body: await oriented.png().toBuffer(), contentType: type, extension: 'png' };
        case 'image/webp':
          return { body: await oriented.webp({ quality: 85 }).toBuffer(), contentType: type, extension: 'webp' };
        case 'image/jpeg':
          return {
            body: await oriented.jpeg({ quality: 85, mozjpeg: true }).toBuffer(),
            contentType: 'image/jpeg',
            extension: 'jpg',
          };
      }
    } catch (error) {
      throw this.unreadable(error);
    }
  }

  private unreadable(error: unknown): Error {
    // sharp's own limitInputPixels, a second line behind the declared size.
    if (error instanceof Error && /pixel limit/i.test(error.message)) return tooManyPixels();
    return new UnsupportedMediaTypeException('The file could not be read as the image it claims to be.');
  }
}
