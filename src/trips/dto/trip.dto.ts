import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';

export class CompleteTripDto {
  /** The store shopped at: its walking order is learned from this trip. */
  @IsOptional() @IsUUID('all', { message: 'must be a UUID' }) storeId?: string;
}

export class TripHistoryQuery {
  /** Page size, 1–100 (default 50). */
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(100) limit?: number;
  /** Cursor: the id of the last trip of the previous page (from `X-Next-Before`). */
  @IsOptional() @IsUUID('all', { message: 'must be a trip id' }) before?: string;
}
