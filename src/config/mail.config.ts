import { join } from 'node:path';
import { dataDir } from './app.config';
import { configNamespace, optionalText, text } from './env';

export const mailConfig = configNamespace(
  'mail',
  {
    /** e.g. smtp://user:pass@smtp.example.com:587; unset outside production: mail goes to $DATA_DIR/mail. */
    SMTP_URL: optionalText(),
    MAIL_FROM: text('CartSync <no-reply@cartsync.local>'),
  },
  (v, env) => ({
    smtpUrl: v.SMTP_URL ?? null,
    from: v.MAIL_FROM,
    /** Where messages go when no SMTP server is configured (development only). */
    outboxDir: join(dataDir(env), 'mail'),
  }),
);

export type MailConfig = ReturnType<typeof mailConfig>;
