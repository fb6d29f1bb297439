import { plainToInstance, Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, validateSync } from 'class-validator';

/** The value `.env.example` ships for JWT_SECRET: refused in production. */
export const SAMPLE_JWT_SECRET = 'change-me-to-at-least-32-random-bytes-in-production';

const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && value.trim() !== '' ? Number(value) : value;

/**
 * Every environment variable the server reads, with its bounds. Defaults live in the
 * typed namespaces (app.config.ts); this class only says what is acceptable.
 */
export class EnvironmentVariables {
  @IsOptional() @IsIn(['development', 'production', 'test']) NODE_ENV?: string;
  @IsOptional() @Transform(toInt) @IsInt() @Min(0) @Max(65535) PORT?: number;
  @IsOptional() @IsString() HOST?: string;
  @IsOptional() @IsString() PUBLIC_URL?: string;
  @IsOptional() @IsString() DATA_DIR?: string;
  @IsOptional() @IsString() CORS_ORIGINS?: string;
  @IsOptional() @IsString() TRUST_PROXY?: string;
  /** A byte size for body-parser: `1mb`, `512kb` or bytes. `1m` would silently mean 1 byte. */
  @IsOptional()
  @Matches(/^(\d+|\d+(\.\d+)? *(b|kb|mb|gb))$/i, { message: 'must be a size such as 1mb, 512kb or 100000' })
  BODY_LIMIT?: string;
  @IsOptional() @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) LOG_LEVEL?: string;
  @IsOptional() @Transform(toInt) @IsInt() @Min(0) @Max(600_000) SHUTDOWN_TIMEOUT_MS?: number;

  @IsOptional() @IsString() DATABASE_URL?: string;
  @IsOptional() @IsString() DB_HOST?: string;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(65535) DB_PORT?: number;
  @IsOptional() @IsString() DB_USER?: string;
  @IsOptional() @IsString() DB_PASSWORD?: string;
  @IsOptional() @IsString() DB_NAME?: string;
  @IsOptional() @IsIn(['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full']) DB_SSLMODE?: string;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(1000) DB_POOL_SIZE?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(65535) EMBEDDED_PG_PORT?: number;

  @IsOptional() @IsString() JWT_SECRET?: string;
  @IsOptional() @IsString() JWT_TTL?: string;
  @IsOptional() @IsString() REFRESH_TTL?: string;
  @IsOptional() @Transform(toInt) @IsInt() @Min(0) @Max(5000) SESSION_CACHE_MS?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1024) @Max(4_194_304) ARGON2_MEMORY_KIB?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(20) ARGON2_TIME_COST?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(16) ARGON2_PARALLELISM?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(1440) RESET_CODE_TTL_MIN?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(100) RESET_MAX_ATTEMPTS?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(1000) RESET_REQUESTS_PER_HOUR?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(10_000) INVITE_MAX_FAILURES?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(86_400) INVITE_FAILURE_WINDOW_SEC?: number;

  @IsOptional() @Transform(toInt) @IsInt() @Min(1024) @Max(16_777_216) WS_MAX_PAYLOAD?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1024) @Max(1_073_741_824) WS_MAX_BUFFERED_BYTES?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(50) @Max(600_000) WS_SLOW_READER_MS?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(100) @Max(600_000) WS_HEARTBEAT_MS?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(10_000) WS_MESSAGES_PER_SEC?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(1000) WS_CHECKING_PER_SEC?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(3600) WS_TICKET_TTL_SEC?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(50) @Max(600_000) REALTIME_SWEEP_MS?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(3650) EVENT_RETENTION_DAYS?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(10) @Max(10_000_000) EVENT_RETENTION_MAX?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(86_400) EVENT_TRIM_INTERVAL_SEC?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(720) IDEMPOTENCY_TTL_HOURS?: number;

  @IsOptional() @IsString() UPLOAD_DIR?: string;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1024) @Max(104_857_600) RECEIPT_MAX_BYTES?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1_000_000) @Max(500_000_000) RECEIPT_MAX_PIXELS?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(10) @Max(604_800) RECEIPT_URL_TTL_SEC?: number;

  @IsOptional() @IsString() SMTP_URL?: string;
  @IsOptional() @IsString() MAIL_FROM?: string;
  @IsOptional() @IsIn(['true', 'false']) SWAGGER_ENABLED?: string;
}

const DURATION = /^\d+(ms|s|m|h|d)$/;

/** Validates `process.env` once at boot and fails with every bad variable named. */
export function validateEnv(raw: Record<string, unknown>): Record<string, unknown> {
  const env = plainToInstance(EnvironmentVariables, raw, { enableImplicitConversion: false });
  const problems = validateSync(env, { skipMissingProperties: false }).map(
    (e) => `${e.property}: ${Object.values(e.constraints ?? {}).join(', ')}`,
  );
  for (const name of ['JWT_TTL', 'REFRESH_TTL'] as const) {
    const value = env[name];
    if (value !== undefined && !DURATION.test(value)) problems.push(`${name}: must look like 30d, 12h, 15m or 90s`);
  }
  if (env.NODE_ENV === 'production') {
    if (!env.DATABASE_URL && !env.DB_HOST) {
      problems.push('DATABASE_URL: required in production (or DB_HOST with DB_USER, DB_PASSWORD, DB_NAME)');
    }
    if (!env.JWT_SECRET || Buffer.byteLength(env.JWT_SECRET) < 32) {
      problems.push('JWT_SECRET: required in production, at least 32 bytes');
    } else if (env.JWT_SECRET === SAMPLE_JWT_SECRET) {
      problems.push('JWT_SECRET: is the sample value from .env.example; generate a random one');
    }
  }
  if (problems.length > 0) {
    throw new Error(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
  return raw;
}
