import { Transactional } from '@nestjs-cls/transactional';
import { BadRequestException, BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Clock } from '../common/clock/clock';
import { deriveKey, hmac, newResetCode, safeEqual } from '../common/crypto/secrets';
import { Mailer } from '../common/mail/mailer';
import { ClientInfo } from '../common/decorators/client-info.decorator';
import { Subjects, Throttles } from '../common/rate-limit/throttles';
import { authConfig } from '../config/auth.config';
import { UsersRepository } from '../users/users.repository';
import { PasswordResetConfirmDto, PasswordResetRequestDto } from './dto/auth.dto';
import { MessageResponse } from './dto/auth.response';
import { PasswordHasher } from './password-hasher';
import { PasswordResetCodeEntity } from './password-reset-code.entity';
import { PasswordResetsRepository } from './password-resets.repository';
import { SessionLiveness } from '../sessions/session-liveness';
import { SessionsRepository } from '../sessions/sessions.repository';

export const RESET_REQUESTED: MessageResponse = { message: 'If that account exists, a code has been sent.' };
export const INVALID_CODE = 'The reset code is invalid or has expired.';

/** What a presented code is, against the email's stored one. */
type Verdict = 'missing' | 'expired' | 'wrong' | 'right';

/**
 * Six-digit codes by email: 10 minutes, single use, stored only as an HMAC bound to the
 * email, burned after 5 wrong tries; a reset revokes every session of the user. Requests are
 * throttled per address (429) and per email (no more mail, same 202); confirmations per
 * email and per address, counting failures.
 */
@Injectable()
export class PasswordResetService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(PasswordResetService.name);
  private readonly key: Buffer;
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly users: UsersRepository,
    private readonly resets: PasswordResetsRepository,
    private readonly throttles: Throttles,
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
   * the code and the mail happen after the answer, so timing tells nothing either. Only the
   * address's throttle (the same for every email) is counted before answering.
   */
  async request(dto: PasswordResetRequestDto, client: ClientInfo): Promise<MessageResponse> {
    await this.throttles.take({ resetRequestPerIp: client.ip });
    const task = this.issueCode(dto.email)
      .catch((error: unknown) => this.logger.error({ err: error }, 'password reset mail failed'))
      .finally(() => this.pending.delete(task));
    this.pending.add(task);
    return RESET_REQUESTED;
  }

  /**
   * The code is checked before the new password is hashed, so wrong codes never reach the
   * hasher: first a unit of work that counts a wrong code (and burns it at RESET_MAX_ATTEMPTS)
   * and commits that count; then, for the right code only, the hash; then one unit of work
   * that checks the code again under its lock and, only if it still holds, uses it up,
   * replaces the password and revokes every session — all of it or nothing.
   */
  async confirm(dto: PasswordResetConfirmDto, client: ClientInfo): Promise<void> {
    const attempt: Subjects = { resetConfirmPerAccount: dto.email, resetConfirmPerIp: client.ip };
    await this.throttles.take(attempt);
    const codeHash = this.codeHash(dto.email, dto.token ?? dto.code ?? '');
    if (!(await this.checkCode(dto.email, codeHash))) throw new BadRequestException(INVALID_CODE);
    const newPasswordHash = await this.hasher.hash(dto.newPassword).catch(async (error: unknown) => {
      // Busy hasher: the code was right and stays usable; this attempt does not count.
      await this.throttles.refund(attempt).catch(() => undefined);
      throw error;
    });
    const revoked = await this.consume(dto.email, codeHash, newPasswordHash);
    if (!revoked) throw new BadRequestException(INVALID_CODE);
    this.liveness.forget(revoked);
    // Committed: what follows must not turn the reset into an error. The owner proved the
    // mailbox and the guessed-at password is gone, so the account's sign-in lockout ends.
    await Promise.all([this.throttles.refund(attempt), this.throttles.forget({ loginPerAccount: dto.email })]).catch(
      (error: unknown) => this.logger.warn({ err: error }, 'throttle counts not cleared after a reset'),
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  private async issueCode(email: string): Promise<void> {
    // Beyond RESET_REQUESTS_PER_HOUR for this email: no mail, and the same 202 as for any email.
    if (!(await this.throttles.tryTake({ resetRequestPerAccount: email }))) return;
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
   * Whether `codeHash` is the email's live code, in a unit of work of its own (committed
   * before any hashing): a wrong code counts an attempt and is burned at `maxAttempts`, an
   * expired one is deleted, the right one is left for `consume`.
   */
  @Transactional()
  private async checkCode(email: string, codeHash: string): Promise<boolean> {
    const code = await this.resets.lock(email);
    const verdict = this.judge(code, codeHash);
    if (verdict === 'expired') await this.resets.delete(email);
    if (verdict === 'wrong' && code) {
      if (code.attempts + 1 >= this.config.reset.maxAttempts) await this.resets.delete(email);
      else await this.resets.countAttempt(email, code.attempts + 1);
    }
    return verdict === 'right';
  }

  /**
   * One unit of work: the code, locked, must still be the right one (not used, burned or
   * replaced since `checkCode`); it is deleted (single use), the password replaced and every
   * session of the user revoked. Returns the revoked session ids, or null when the code no
   * longer holds.
   */
  @Transactional()
  private async consume(email: string, codeHash: string, newPasswordHash: string): Promise<string[] | null> {
    const code = await this.resets.lock(email);
    if (!code || this.judge(code, codeHash) !== 'right') return null;
    await this.resets.delete(email);
    await this.users.setPasswordHash(code.userId, newPasswordHash);
    await this.users.endLegacyTokens(code.userId);
    return this.sessions.revokeAll(code.userId, this.clock.now());
  }

  private judge(code: PasswordResetCodeEntity | null, codeHash: string): Verdict {
    if (!code) return 'missing';
    if (code.expiresAt <= this.clock.now()) return 'expired';
    return safeEqual(code.codeHash, codeHash) ? 'right' : 'wrong';
  }

  private codeHash(email: string, code: string): string {
    return hmac(this.key, `${email}\n${code}`);
  }
}
