import { RequestValidationException } from './validation.pipe';

/** `If-Match: 3`, `"3"` or `W/"3"` → 3; absent → undefined; anything else → 400. */
export function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  const match = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(header);
  if (!match) throw new RequestValidationException([{ field: 'If-Match', problem: 'must be a version number' }]);
  return Number(match[1]);
}
