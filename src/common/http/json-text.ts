import type { Response } from 'express';

/**
 * Answers 200 with `json`, a body already written as JSON text, straight to Node: Express's
 * `res.send` re-parses the Content-Type to add a charset and copies the text into a Buffer
 * (7–8 % of the server's CPU per `GET /lists/:id`, docs/BENCHMARKS.md). For a route whose
 * handler takes `@Res()`: errors thrown before this still reach the exception filter.
 */
export function sendJsonText(response: Response, json: string): void {
  response.setHeader('Content-Type', 'application/json; charset=utf-8');
  response.setHeader('Content-Length', Buffer.byteLength(json));
  response.end(json);
}
