import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { DATABASE_RETRY_AFTER_SEC, isDatabaseUnavailable } from './database-unavailable';
import { ApiError, ErrorBody } from './error-body';
import { RequestValidationException } from './validation.pipe';

const GENERIC_500 = 'Something went wrong on our side; please try again.';
const DATABASE_DOWN = 'The service is briefly unavailable; please try again in a few seconds.';

interface BodyParserError {
  type?: string;
  status?: number;
  expose?: boolean;
}

/**
 * Headers that go with an error answer: when to come back, as the error says (a throttle's
 * window, a busy hasher) or, for any other 503 (the database), DATABASE_RETRY_AFTER_SEC.
 */
export function errorHeaders(exception: unknown, statusCode: number): Record<string, string> {
  if (exception instanceof ApiError && exception.retryAfterSec !== undefined) {
    return { 'Retry-After': String(exception.retryAfterSec) };
  }
  return statusCode === 503 ? { 'Retry-After': String(DATABASE_RETRY_AFTER_SEC) } : {};
}

function messageOf(response: string | object, fallback: string): string {
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (typeof message === 'string') return message;
  if (Array.isArray(message)) return message.map(String).join('; ');
  return fallback;
}

/** Shapes every error answer as CONTRACT.md says; logs unexpected errors with their stack. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const ctx = host.switchToHttp();
    const request = ctx.getRequest<Request & { id?: string }>();
    const response = ctx.getResponse<Response>();
    const body = this.toBody(exception, String(request.id ?? ''));
    if (response.headersSent) {
      response.end();
      return;
    }
    response.status(body.statusCode).set(errorHeaders(exception, body.statusCode)).json(body);
  }

  /**
   * Express error middleware placed right after the body parser: Nest would turn a JSON
   * syntax error into a 400 carrying the parser's message; answer in our words instead.
   */
  readonly bodyParserErrors = (error: unknown, req: Request & { id?: string }, res: Response, next: NextFunction) => {
    const type = (error as BodyParserError)?.type;
    if (typeof type !== 'string' || !type.startsWith('entity.') || res.headersSent) return next(error);
    const body = this.toBody(error, String(req.id ?? ''));
    res.status(body.statusCode).json(body);
  };

  toBody(exception: unknown, requestId: string): ErrorBody & Record<string, unknown> {
    const shape = (statusCode: number, message: string, rest: Partial<ErrorBody> & Record<string, unknown> = {}) => ({
      statusCode,
      error: STATUS_CODES[statusCode] ?? 'Error',
      message,
      requestId,
      ...rest,
    });
    if (exception instanceof ApiError) {
      return shape(exception.statusCode, exception.message, {
        ...(exception.details ? { details: exception.details } : {}),
        ...exception.extra,
      });
    }
    if (exception instanceof RequestValidationException) {
      return shape(400, exception.message, { details: exception.details });
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      return shape(status, messageOf(exception.getResponse(), STATUS_CODES[status] ?? 'Error'));
    }
    const parserError = exception as BodyParserError;
    if (parserError?.type === 'entity.too.large') {
      return shape(HttpStatus.PAYLOAD_TOO_LARGE, 'The request body is too large.');
    }
    if (parserError?.type === 'entity.parse.failed') {
      return shape(HttpStatus.BAD_REQUEST, 'The request body is not valid JSON.');
    }
    if (parserError?.expose && parserError.status && parserError.status >= 400 && parserError.status < 500) {
      return shape(parserError.status, 'The request body could not be read.');
    }
    if (isDatabaseUnavailable(exception)) {
      this.logger.warn({ err: exception, requestId }, 'Database unavailable');
      return shape(HttpStatus.SERVICE_UNAVAILABLE, DATABASE_DOWN);
    }
    this.logger.error({ err: exception, requestId }, 'Unhandled error');
    return shape(HttpStatus.INTERNAL_SERVER_ERROR, GENERIC_500);
  }
}
