import { registerAs } from '@nestjs/config';
import { join, resolve } from 'node:path';

export const mailConfig = registerAs('mail', () => ({
  smtpUrl: process.env.SMTP_URL || null,
  from: process.env.MAIL_FROM ?? 'CartSync <no-reply@cartsync.local>',
  /** Where messages go when no SMTP server is configured (development only). */
  outboxDir: join(resolve(process.env.DATA_DIR ?? '.data'), 'mail'),
}));

export type MailConfig = ReturnType<typeof mailConfig>;
