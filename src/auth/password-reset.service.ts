import { Transactional } from '@nestjs-cls/transactional';
import { BadRequestException, BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Clock } from '../common/clock/clock';
import { deriveKey, hmac, newResetCode, safeEqual } from '../common/crypto/secrets';
import { Mailer } from '../common/mail/mailer';
import { RateLimitRepository } from '../common/rate-limit/rate-limit.repository';
import { authConfig } from '../config/auth.config';
import { UsersRepository } from '../users/users.repository';
import { PasswordResetConfirmDto, PasswordResetRequestDto } from './dto/auth.dto';
import { MessageResponse } from './dto/auth.response';
import { PasswordHasher } from './password-hasher';
import { PasswordResetsRepository } from './password-resets.repository';
import { SessionLiveness } from '../sessions/session-liveness';
import { SessionsRepository } from '../sessions/sessions.repository';

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
    private readonly sessions: SessionsRepository,
    private readonly liveness: SessionLiveness,
    private readonly mailer: Mailer,
    private readonly clock: Clock,
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
    const newPasswordHash = await this.hasher.hash(dto.newPassword);
    const revoked = await this.consume(
      dto.email,
      this.codeHash(dto.email, dto.token ?? dto.code ?? ''),
      newPasswordHash,
    );
    // Outside the unit of work, so a wrong attempt stays counted.
    if (!revoked) throw new BadRequestException('The reset code is invalid or has expired.');
    this.liveness.forget(revoked);
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
    const now = this.clock.now();
    await this.resets.replaceCode(
      email,
      user.id,
      this.codeHash(email, code),
      new Date(now.getTime() + this.config.reset.ttlMs),
      now,
    );
    const minutes = Math.round(this.config.reset.ttlMs / 60_000);
    await this.mailer.send({
      to: email,
      subject: 'Your CartSync password reset code',
      text: `Hi ${user.name},\n\nYour CartSync password reset code is ${code}.\nIt works once and expires in ${minutes} minutes.\n\nIf you did not ask for it, ignore this email: your password stays the same.\n`,
    });
  }

  /**
   * One unit of work: a wrong code counts an attempt and burns the code at `maxAttempts`;
   * the right one is deleted (single use), the password replaced and every session of the
   * user revoked. Returns the revoked session ids, or null when the code did not match.
   */
  @Transactional()
  private async consume(email: string, codeHash: string, newPasswordHash: string): Promise<string[] | null> {
    const now = this.clock.now();
    const code = await this.resets.lock(email);
    if (!code) return null;
    if (code.expiresAt <= now) {
      await this.resets.delete(email);
      return null;
    }
    if (!safeEqual(code.codeHash, codeHash)) {
      if (code.attempts + 1 >= this.config.reset.maxAttempts) await this.resets.delete(email);
      else await this.resets.countAttempt(email, code.attempts + 1);
      return null;
    }
    await this.resets.delete(email);
    await this.users.setPasswordHash(code.userId, newPasswordHash);
    return this.sessions.revokeAll(code.userId, now);
  }

  private codeHash(email: string, code: string): string {
    return hmac(this.key, `${email}\n${code}`);
  }
}
