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
@Injectable()
export class InviteCodes {
  private readonly box: SecretBox;
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
    return sealed ? this.box.open(sealed, this.context(listId)) : null;
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
