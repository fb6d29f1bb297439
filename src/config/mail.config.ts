import { join } from 'node:path';
import { dataDir, isProduction } from './app.config';
import { configNamespace, optionalText, text } from './env';

export const mailConfig = configNamespace(
  'mail',
  {
    /** e.g. smtp://user:pass@smtp.example.com:587. Required in production; unset elsewhere: mail goes to $DATA_DIR/mail. */
    SMTP_URL: optionalText(),
    MAIL_FROM: text('CartSync <no-reply@cartsync.local>'),
  },
  (v, env) => ({
    smtpUrl: v.SMTP_URL ?? null,
    from: v.MAIL_FROM,
    /** Where messages go when no SMTP server is configured (development only). */
    outboxDir: join(dataDir(env), 'mail'),
  }),
  ({ SMTP_URL }, env) => {
    // The value is never repeated: it may hold the SMTP password.
    if (SMTP_URL === undefined) {
      return isProduction(env)
        ? [
            'SMTP_URL: required in production: password-reset codes are sent by mail (e.g. smtp://user:pass@smtp.example.com:587)',
          ]
        : [];
    }
    const url = URL.parse(SMTP_URL);
    return url && (url.protocol === 'smtp:' || url.protocol === 'smtps:') && url.hostname !== ''
      ? []
      : ['SMTP_URL: must be an smtp:// or smtps:// URL such as smtp://user:pass@smtp.example.com:587'];
  },
);

export type MailConfig = ReturnType<typeof mailConfig>;
