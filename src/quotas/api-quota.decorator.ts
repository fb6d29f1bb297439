import { ApiResponse } from '@nestjs/swagger';
import { ErrorBody } from '../common/http/error-body';

/**
 * Documents the 409 of a route that a quota can refuse (and what else is a conflict there), in
 * the ErrorBody shape; a quota's refusal adds `quota` (its name) and `limit` to the body.
 */
export const ApiQuota = (variables: string[], otherConflict?: string) =>
  ApiResponse({
    status: 409,
    type: ErrorBody,
    description:
      `Conflict: past a quota (${variables.join(', ')}); nothing is written, and the body adds ` +
      '`quota` (its name) and `limit`' +
      (otherConflict ? `. Also: ${otherConflict}` : ''),
  });
