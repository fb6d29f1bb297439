import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTransport, Transporter } from 'nodemailer';
import { appConfig } from '../../config/app.config';
import { Clock } from '../clock/clock';
import { mailConfig } from '../../config/mail.config';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

/**
 * Sends mail through SMTP_URL. Without SMTP outside production, each message is written
 * to `<DATA_DIR>/mail/` (the log says where, never what: reset codes stay out of logs).
 */
@Injectable()
export class Mailer {
  private readonly logger = new Logger(Mailer.name);
  private readonly transport: Transporter | null;

  constructor(
    @Inject(mailConfig.KEY) private readonly config: ConfigType<typeof mailConfig>,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
    private readonly clock: Clock,
  ) {
    this.transport = config.smtpUrl ? createTransport(config.smtpUrl) : null;
    if (!this.transport && app.isProduction) this.logger.warn('SMTP_URL is not set: mail cannot be delivered');
  }

  async send(message: MailMessage): Promise<void> {
    if (this.transport) {
      await this.transport.sendMail({ from: this.config.from, ...message });
      return;
    }
    if (this.app.isProduction) throw new Error('SMTP_URL is not set');
    await mkdir(this.config.outboxDir, { recursive: true });
    const file = join(
      this.config.outboxDir,
      `${this.clock.now().toISOString().replace(/[:.]/g, '-')}-${randomUUID()}.txt`,
    );
    await writeFile(
      file,
      `To: ${message.to}\nFrom: ${this.config.from}\nSubject: ${message.subject}\n\n${message.text}\n`,
      {
        mode: 0o600,
      },
    );
    this.logger.log(`no SMTP configured: mail "${message.subject}" written to ${file}`);
  }
}
