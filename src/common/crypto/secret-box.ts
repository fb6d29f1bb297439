import { createCipheriv, createDecipheriv, createSecretKey, KeyObject, randomBytes } from 'node:crypto';
import { deriveKey } from './secrets';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Values the server must read back but nobody holding a copy of the database should (stored
 * answers to keyed requests, invite codes): AES-256-GCM under a key derived from the server
 * secret for one purpose. A sealed value is `version | iv | tag | ciphertext`; `context`
 * (the identity of the row it belongs to) is authenticated with it, so a value copied to
 * another row, or altered, does not open. A new JWT_SECRET makes every sealed value
 * unreadable: `open` then answers null and the owner decides what that means.
 */
export class SecretBox {
  /** A key object, built once: given a Buffer, every cipher would build one again (seen in the GET profile). */
  private readonly key: KeyObject;

  constructor(secret: string, purpose: string) {
    this.key = createSecretKey(deriveKey(secret, `sealed:${purpose}`));
  }

  seal(plaintext: string, context: string): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.of(VERSION), iv, cipher.getAuthTag(), ciphertext]);
  }

  /** The plaintext, or null when the value was not sealed by this box for this context (or was altered). */
  open(sealed: Buffer, context: string): string | null {
    if (sealed.length < 1 + IV_BYTES + TAG_BYTES || sealed[0] !== VERSION) return null;
    const iv = sealed.subarray(1, 1 + IV_BYTES);
    const tag = sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, iv);
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(sealed.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]).toString(
        'utf8',
      );
    } catch {
      return null;
    }
  }
}
