import { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { eventually } from './eventually';

export interface ReceivedMail {
  to: string[];
  raw: string;
}

/** A real SMTP server in the test process; the app sends to it through SMTP_URL. */
export class TestSmtpServer {
  readonly messages: ReceivedMail[] = [];
  private readonly server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onData: (stream, session, callback) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        this.messages.push({
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString(),
        });
        callback();
      });
    },
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `smtp://127.0.0.1:${(this.server.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Waits (bounded) for the next message to `to` beyond the first `after` ones. */
  waitFor(to: string, after = 0, timeoutMs = 5000): Promise<ReceivedMail> {
    return eventually(
      () => {
        const found = this.messages.filter((m) => m.to.includes(to));
        if (found.length > after) return found[after];
        throw new Error(`no mail to ${to} within ${timeoutMs} ms`);
      },
      { timeoutMs },
    );
  }

  countTo(to: string): number {
    return this.messages.filter((m) => m.to.includes(to)).length;
  }
}

export function resetCodeIn(mail: ReceivedMail): string {
  const match = /code is (\d{6})/.exec(mail.raw);
  if (!match) throw new Error('no reset code in the mail');
  return match[1];
}
