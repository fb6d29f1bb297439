import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { SecretBox } from '../common/crypto/secret-box';
import { deriveKey, hmac } from '../common/crypto/secrets';
import { authConfig } from '../config/auth.config';

/**
 * Invite codes at rest. A code lets anyone who has it into the list, so the database never
 * holds one in clear: `lists` keeps a keyed digest to look a typed code up (HMAC: 30 bits of
 * code behind a plain hash would be found again in seconds) and a sealed copy to show the
 * members; the log's `list:updated` events keep theirs sealed, opened when the frame is sent.
 */
/** Opened codes kept (a list's code is read on every GET /lists/:id; it changes rarely). */
const OPENED_KEPT = 10_000;

@Injectable()
export class InviteCodes {
  private readonly box: SecretBox;
  /**
   * Sealed value (with its list) → its code: opening is an AES-GCM decryption, ~5% of the CPU
   * of GET /lists/:id in its profile. Keyed by the exact sealed bytes, so a rotated code (new
   * bytes) is opened afresh; a value that does not open is never kept.
   */
  private readonly opened = new Map<string, string>();
  private readonly lookupKey: Buffer;

  constructor(@Inject(authConfig.KEY) auth: ConfigType<typeof authConfig>) {
    this.box = new SecretBox(auth.jwtSecret, 'invite-code');
    this.lookupKey = deriveKey(auth.jwtSecret, 'invite-code-lookup');
  }

  /** What `lists.invite_code_digest` holds for a (normalized) code. */
  digest(code: string): string {
    return hmac(this.lookupKey, code);
  }

  seal(listId: string, code: string): Buffer {
    return this.box.seal(code, this.context(listId));
  }

  /** The list's code; null when it cannot be opened (none yet, or sealed under another JWT_SECRET). */
  open(listId: string, sealed: Buffer | null): string | null {
    if (!sealed) return null;
    const key = `${listId}:${sealed.toString('base64')}`;
    const cached = this.opened.get(key);
    if (cached !== undefined) return cached;
    const code = this.box.open(sealed, this.context(listId));
    if (code !== null) {
      if (this.opened.size >= OPENED_KEPT) this.opened.delete(this.opened.keys().next().value!);
      this.opened.set(key, code);
    }
    return code;
  }

  /** The form a code takes in the event log's JSON. */
  sealForLog(listId: string, code: string): string {
    return this.seal(listId, code).toString('base64url');
  }

  openFromLog(listId: string, sealed: string): string | null {
    return this.open(listId, Buffer.from(sealed, 'base64url'));
  }

  private context(listId: string): string {
    return `lists.invite_code\n${listId}`;
  }
}
