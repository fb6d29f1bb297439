import { IsBoolean, IsEmail, IsOptional, IsString, Length, Matches, MaxLength, ValidateIf } from 'class-validator';
import { NormalizeEmail, Trim } from '../../common/decorators/trim.decorator';

const SIX_DIGITS = /^\d{6}$/;

export class RegisterDto {
  /** Trimmed and lower-cased. @example "ana@example.com" */
  @NormalizeEmail() @IsEmail({}, { message: 'must be a valid email address' }) @MaxLength(254) email!: string;
  /** 8 to 128 characters. @example "correct horse battery" */
  @IsString() @Length(8, 128) password!: string;
  /** @example "Ana" */
  @Trim() @IsString() @Length(1, 100) name!: string;
}

export class LoginDto {
  @NormalizeEmail() @IsEmail({}, { message: 'must be a valid email address' }) @MaxLength(254) email!: string;
  @IsString() @MaxLength(128) password!: string;
}

export class RefreshDto {
  @IsString() @Length(16, 256) refreshToken!: string;
}

export class LogoutDto {
  /** Also end every other session of this user ("sign out everywhere"). */
  @IsOptional() @IsBoolean() everywhere?: boolean;
}

export class PasswordResetRequestDto {
  @NormalizeEmail() @IsEmail({}, { message: 'must be a valid email address' }) @MaxLength(254) email!: string;
}

export class PasswordResetConfirmDto {
  @NormalizeEmail() @IsEmail({}, { message: 'must be a valid email address' }) @MaxLength(254) email!: string;
  /** The 6-digit code from the email. @example "042917" */
  @ValidateIf((dto: PasswordResetConfirmDto) => dto.token !== undefined || dto.code === undefined)
  @Trim()
  @Matches(SIX_DIGITS, { message: 'must be the 6-digit code from the email' })
  token?: string;
  /** Alias of `token`. */
  @ValidateIf((dto: PasswordResetConfirmDto) => dto.code !== undefined || dto.token === undefined)
  @Trim()
  @Matches(SIX_DIGITS, { message: 'must be the 6-digit code from the email' })
  code?: string;
  @IsString() @Length(8, 128) newPassword!: string;
}

export class DeleteAccountDto {
  /** The account's current password: deleting it asks for it again. */
  @IsString() @MaxLength(128) password!: string;
}
