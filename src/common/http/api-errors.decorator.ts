import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiResponse } from '@nestjs/swagger';
import { STATUS_CODES } from 'node:http';
import { ErrorBody } from './error-body';

/** Documents the error answers of a route, all with the ErrorBody shape. */
export const ApiErrors = (...statuses: number[]) =>
  applyDecorators(
    ...statuses.map((status) => ApiResponse({ status, type: ErrorBody, description: STATUS_CODES[status] })),
  );

/** A route behind the bearer token: documents the auth scheme and its 401. */
export const ApiAuth = () => applyDecorators(ApiBearerAuth(), ApiErrors(401));
