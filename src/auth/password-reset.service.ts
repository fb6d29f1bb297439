import { BadRequestException, BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { deriveKey, hmac, newResetCode, safeEqual } from '../common/crypto/secrets';
import { Mailer } from '../common/mail/mailer';
import { RateLimitRepository } from '../common/rate-limit/rate-limit.repository';
import { authConfig } from '../config/auth.config';
import { UsersRepository } from '../users/users.repository';
import { PasswordResetConfirmDto, PasswordResetRequestDto } from './dto/auth.dto';
import { MessageResponse } from './dto/auth.response';
import { PasswordHasher } from './password-hasher';
import { PasswordResetsRepository } from './password-resets.repository';
import { SessionLiveness } from './session-liveness';

export const RESET_REQUESTED: MessageResponse = { message: 'If that account exists, a code has been sent.' };
const HOUR_MS = 3_600_000;

/**
 * Six-digit codes by email: 10 minutes, single use, stored only as an HMAC bound to the
 * email, burned after 5 wrong tries; a reset revokes every session of the user.
 */
@Injectable()
export class PasswordResetService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(PasswordResetService.name);
  private readonly key: Buffer;
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly users: UsersRepository,
    private readonly resets: PasswordResetsRepository,
    private readonly rateLimits: RateLimitRepository,
    private readonly hasher: PasswordHasher,
    private readonly liveness: SessionLiveness,
    private readonly mailer: Mailer,
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
  ) {
    this.key = deriveKey(config.jwtSecret, 'password-reset-code');
  }

  /**
   * Answers at once with the same body whether or not the account exists; the lookup,
   * the code and the mail happen after the answer, so timing tells nothing either.
   */
  request(dto: PasswordResetRequestDto): MessageResponse {
    const task = this.issueCode(dto.email)
      .catch((error: unknown) => this.logger.error({ err: error }, 'password reset mail failed'))
      .finally(() => this.pending.delete(task));
    this.pending.add(task);
    return RESET_REQUESTED;
  }

  async confirm(dto: PasswordResetConfirmDto): Promise<void> {
    const code = dto.token ?? dto.code ?? '';
    const newPasswordHash = await this.hasher.hash(dto.newPassword);
    const expected = this.codeHash(dto.email, code);
    const outcome = await this.resets.consume(
      dto.email,
      (stored) => safeEqual(stored, expected),
      newPasswordHash,
      this.config.reset.maxAttempts,
    );
    if (outcome.kind !== 'reset') throw new BadRequestException('The reset code is invalid or has expired.');
    this.liveness.forget(outcome.revokedSessionIds);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  private async issueCode(email: string): Promise<void> {
    const requests = await this.rateLimits.hit(`password-reset:${email}`, HOUR_MS);
    if (requests > this.config.reset.requestsPerHour) return;
    const user = await this.users.findByEmail(email);
    if (!user) return;
    const code = newResetCode();
    await this.resets.replaceCode(
      email,
      user.id,
      this.codeHash(email, code),
      new Date(Date.now() + this.config.reset.ttlMs),
    );
    const minutes = Math.round(this.config.reset.ttlMs / 60_000);
    await this.mailer.send({
      to: email,
      subject: 'Your CartSync password reset code',
      text: `Hi ${user.name},\n\nYour CartSync password reset code is ${code}.\nIt works once and expires in ${minutes} minutes.\n\nIf you did not ask for it, ignore this email: your password stays the same.\n`,
    });
  }

  private codeHash(email: string, code: string): string {
    return hmac(this.key, `${email}\n${code}`);
  }
}
