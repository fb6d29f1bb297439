import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { deriveKey, hmac, safeEqual } from '../common/crypto/secrets';
import { appConfig } from '../config/app.config';
import { authConfig } from '../config/auth.config';
import { tripsConfig } from '../config/trips.config';

/**
 * Receipt links an image view can open without headers: absolute, expiring, and signed
 * (HMAC of the path and the expiry under a key derived for this purpose only).
 */
@Injectable()
export class ReceiptUrls {
  private readonly key: Buffer;

  constructor(
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
    @Inject(tripsConfig.KEY) private readonly trips: ConfigType<typeof tripsConfig>,
    @Inject(authConfig.KEY) auth: ConfigType<typeof authConfig>,
  ) {
    this.key = deriveKey(auth.jwtSecret, 'receipt-url');
  }

  /** `receiptKey` is `<tripId>/<file>`. */
  sign(receiptKey: string, now: number): string {
    const expires = Math.floor((now + this.trips.receiptUrlTtlMs) / 1000);
    const path = `/receipts/${receiptKey}`;
    return `${this.app.publicUrl}${path}?expires=${expires}&sig=${hmac(this.key, `${path}\n${expires}`)}`;
  }

  /** 'ok', or why the link does not open. */
  verify(
    receiptKey: string,
    expires: string | undefined,
    sig: string | undefined,
    now: number,
  ): 'ok' | 'expired' | 'invalid' {
    if (!expires || !sig || !/^\d{1,12}$/.test(expires)) return 'invalid';
    if (!safeEqual(sig, hmac(this.key, `/receipts/${receiptKey}\n${expires}`))) return 'invalid';
    return Number(expires) * 1000 < now ? 'expired' : 'ok';
  }
}
