import { Type } from 'class-transformer';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsUUID, Max, Min, ValidateIf } from 'class-validator';
import { IsClientTime } from '../../common/http/client-time';

export class CompleteTripDto {
  /** The store shopped at: its walking order is learned from this trip. */
  @IsOptional() @IsUUID('all', { message: 'must be a UUID' }) storeId?: string;
  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    example: '2025-06-01T09:45:00.000Z',
    description:
      'Part B (optional): when the trip was really completed on the phone (e.g. offline), an ISO-8601 time with a ' +
      'timezone. At most 2 minutes ahead of the server clock and at most CLIENT_TIME_MAX_AGE_DAYS (default 30) back, ' +
      'otherwise 400. History is ordered by it; suggestions read it. Without it the server time is used.',
  })
  @ValidateIf((_dto: object, value: unknown) => value !== undefined)
  @IsClientTime()
  completedAt?: string;
}

export class TripHistoryQuery {
  /** Page size, 1–100 (default 50). */
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(100) limit?: number;
  /** Cursor: the id of the last trip of the previous page (from `X-Next-Before`); pages follow `completedAt`, newest first. */
  @IsOptional() @IsUUID('all', { message: 'must be a trip id' }) before?: string;
}
