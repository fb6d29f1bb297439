import {
  IsBoolean,
  IsNumber,
  IsOptional,
  IsPositive,
  IsString,
  IsUUID,
  Length,
  Max,
  MaxLength,
  ValidateBy,
  ValidateIf,
} from 'class-validator';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Trim } from '../../common/decorators/trim.decorator';
import { IsClientTime } from '../../common/http/client-time';

const QUANTITY = { allowNaN: false, allowInfinity: false };

/**
 * At most `places` decimals, however the number is written. class-validator's own
 * `maxDecimalPlaces` reads the decimals from the number's text and throws (500) on `1e-7`.
 */
const MaxDecimalPlaces = (places: number) =>
  ValidateBy({
    name: 'maxDecimalPlaces',
    validator: {
      validate: (value: unknown) => typeof value !== 'number' || Number(value.toFixed(places)) === value,
      defaultMessage: () => `must have at most ${places} decimal places`,
    },
  });

/** Optional, but not nullable: unlike IsOptional, `null` is validated (and rejected) instead of reaching the database. */
const IsOptionalNotNull = () => ValidateIf((_dto: object, value: unknown) => value !== undefined);

/** `checkedAt` says when a check happened: it comes with `checked: true` or not at all. */
const SentWithCheckedTrue = () =>
  ValidateBy({
    name: 'sentWithCheckedTrue',
    validator: {
      validate: (_value: unknown, args) => (args?.object as { checked?: unknown }).checked === true,
      defaultMessage: () => 'can only be sent with checked: true',
    },
  });

export class CreateItemDto {
  /** Optional client-generated id (offline-first adds): adding the same id again returns the existing item. */
  @IsOptional() @IsUUID('all', { message: 'must be a UUID' }) id?: string;
  /** @example "Milk" */
  @Trim() @IsString() @Length(1, 200) name!: string;
  /** A positive number; defaults to 1. @example 2 */
  @IsOptional() @IsNumber(QUANTITY) @MaxDecimalPlaces(3) @IsPositive() @Max(1_000_000) quantity?: number;
  /** Defaults to "×". @example "l" */
  @IsOptional() @Trim() @IsString() @MaxLength(32) unit?: string;
  @IsOptional() @Trim() @IsString() @MaxLength(500) note?: string;
  @IsOptional() @Trim() @IsString() @MaxLength(50) category?: string;
}

export class UpdateItemDto {
  @IsOptionalNotNull() @Trim() @IsString() @Length(1, 200) name?: string;
  @IsOptionalNotNull() @IsNumber(QUANTITY) @MaxDecimalPlaces(3) @IsPositive() @Max(1_000_000) quantity?: number;
  @IsOptional() @Trim() @IsString() @MaxLength(32) unit?: string;
  /** true records who checked it and when (server time, or `checkedAt`); false clears both. */
  @IsOptionalNotNull() @IsBoolean() checked?: boolean;
  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    example: '2025-06-01T09:30:00.000Z',
    description:
      'Part B (optional): when the item was really checked on the phone (e.g. offline), an ISO-8601 time with a ' +
      'timezone. Only with `checked: true` (otherwise 400); ignored when the item is already checked. At most ' +
      '2 minutes ahead of the server clock and at most CLIENT_TIME_MAX_AGE_DAYS (default 30) back, otherwise 400. ' +
      "It may predate the item's `createdAt`. Without it the server time is used.",
  })
  @IsOptionalNotNull()
  @IsClientTime()
  @SentWithCheckedTrue()
  checkedAt?: string;
  @IsOptional() @Trim() @IsString() @MaxLength(500) note?: string;
  @IsOptional() @Trim() @IsString() @MaxLength(50) category?: string;
}
