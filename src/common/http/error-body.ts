import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class ErrorDetail {
  @ApiProperty({ example: 'quantity' }) field!: string;
  @ApiProperty({ example: 'must be a positive number' }) problem!: string;
}

/** The one error shape of every non-2xx answer (CONTRACT.md). */
export class ErrorBody {
  @ApiProperty({ example: 400 }) statusCode!: number;
  @ApiProperty({ example: 'Bad Request' }) error!: string;
  @ApiProperty({ description: 'One human sentence; always a string.', example: 'quantity must be a positive number.' })
  message!: string;
  @ApiProperty({ example: '5f0c6b1e-2c1d-4f7e-9a51-0a3a2f0f6a11' }) requestId!: string;
  @ApiPropertyOptional({ type: [ErrorDetail] }) details?: ErrorDetail[];
}

/** An HTTP error whose response already has the contract's fields (besides requestId). */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly details?: ErrorDetail[],
    /** Extra top-level fields, e.g. `current` on a 412. */
    readonly extra?: Record<string, unknown>,
    /** Whole seconds after which the same request may succeed: sent as `Retry-After`. */
    readonly retryAfterSec?: number,
  ) {
    super(message);
  }

  /** A 429 (over a limit) or 503 (out of capacity) that says when to come back. */
  static retryLater(statusCode: 429 | 503, message: string, retryAfterSec: number): ApiError {
    return new ApiError(statusCode, message, undefined, undefined, Math.max(1, Math.ceil(retryAfterSec)));
  }
}
