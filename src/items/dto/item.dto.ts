import { IsBoolean, IsNumber, IsOptional, IsPositive, IsString, Length, Max, MaxLength } from 'class-validator';
import { Trim } from '../../common/decorators/trim.decorator';

const QUANTITY = { allowNaN: false, allowInfinity: false, maxDecimalPlaces: 3 };

export class CreateItemDto {
  /** @example "Milk" */
  @Trim() @IsString() @Length(1, 200) name!: string;
  /** A positive number; defaults to 1. @example 2 */
  @IsOptional() @IsNumber(QUANTITY) @IsPositive() @Max(1_000_000) quantity?: number;
  /** Defaults to "×". @example "l" */
  @IsOptional() @Trim() @IsString() @MaxLength(32) unit?: string;
  @IsOptional() @Trim() @IsString() @MaxLength(500) note?: string;
  @IsOptional() @Trim() @IsString() @MaxLength(50) category?: string;
}

export class UpdateItemDto {
  @IsOptional() @Trim() @IsString() @Length(1, 200) name?: string;
  @IsOptional() @IsNumber(QUANTITY) @IsPositive() @Max(1_000_000) quantity?: number;
  @IsOptional() @Trim() @IsString() @MaxLength(32) unit?: string;
  /** true records who checked it and when (server time); false clears both. */
  @IsOptional() @IsBoolean() checked?: boolean;
  @IsOptional() @Trim() @IsString() @MaxLength(500) note?: string;
  @IsOptional() @Trim() @IsString() @MaxLength(50) category?: string;
}
