import type { NextFunction, Request, Response } from 'express';
import { ApiError } from './error-body';
import { describeJsonProblem, MAX_JSON_DEPTH, parseStrictJson } from './strict-json';
import { RequestValidationException } from './validation.pipe';

const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)"?/i;

/** The error a JSON body is refused with, or the body. */
export function readJsonBody(bytes: Buffer, contentType: string | undefined): unknown {
  const charset = CHARSET.exec(contentType ?? '')?.[1].toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new ApiError(415, 'The request body must be JSON encoded as UTF-8.');
  }
  // An empty body reads as {} (as with Express's JSON parser): its fields are then missing.
  if (bytes.length === 0) return {};
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ApiError(400, 'The request body is not valid UTF-8.');
  }
  const parsed = parseStrictJson(text);
  if (!parsed.ok) {
    const detail = describeJsonProblem(parsed.problem, MAX_JSON_DEPTH);
    if (!detail) throw new ApiError(400, 'The request body is not valid JSON.');
    throw new RequestValidationException([detail]);
  }
  if (typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value)) {
    throw new ApiError(400, 'The request body must be a JSON object.');
  }
  return parsed.value;
}

/**
 * Express middleware after the raw body reader (`application/json`, BODY_LIMIT): turns the
 * bytes into the body the controllers see, through `parseStrictJson`. Refusals go to the
 * global error filter as 400/415 with the contract's body.
 */
export function strictJsonBody(req: Request, _res: Response, next: NextFunction): void {
  if (!Buffer.isBuffer(req.body)) return next();
  try {
    req.body = readJsonBody(req.body, req.headers['content-type']);
    next();
  } catch (error) {
    next(error);
  }
}
