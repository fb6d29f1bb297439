/**
 * JSON as the API accepts it, from request bodies and WebSocket frames alike. JSON.parse
 * reads the text; a single pass over the same text then refuses what JSON.parse lets
 * through but the rest of the server must never see:
 * - prototype keys (`__proto__`, `constructor`, `prototype`) at any depth, however they are
 *   spelled (`"\u005f_proto__"` decodes to the same key): they pollute prototypes in code
 *   that copies objects, and no request of the API has a property of these names;
 * - a key twice in one object: JSON.parse keeps the last, a proxy or a log pipeline may read
 *   the first; one body has one meaning here, and the app (JSON.stringify) never sends one;
 * - nesting deeper than `maxDepth`: validation and copying recurse once per level, and no
 *   request of the API nests more than 3 levels;
 * - text PostgreSQL cannot store (NUL) or that is not Unicode (an unpaired surrogate, which
 *   would be stored as U+FFFD): refused instead of failing or silently changing.
 * The pass is linear in the text and stops at the first problem.
 */

/** What is wrong with a JSON text, and where (`items.0.name`: property path, array indexes as numbers). */
export type JsonProblem =
  | { kind: 'syntax' }
  | { kind: 'too-deep'; path: string }
  | { kind: 'forbidden-key'; path: string }
  | { kind: 'duplicate-key'; path: string }
  | { kind: 'bad-text'; path: string };

export type StrictJson = { ok: true; value: unknown } | { ok: false; problem: JsonProblem };

/** Deeper than any request needs (3 levels), far below where recursive validation overflows the stack. */
export const MAX_JSON_DEPTH = 16;

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
// eslint-disable-next-line no-control-regex -- NUL is exactly what it looks for
const BAD_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

interface Container {
  keys: Set<string> | null; // null: an array
  /** The current key (objects) or index (arrays). */
  at: string | number;
  expectingKey: boolean;
}

function pathOf(stack: Container[], last?: string): string {
  const parts = stack.map((c) => String(c.at));
  if (last !== undefined) parts[parts.length - 1] = last;
  return parts.join('.');
}

/** The index of the quote that closes the string opened at `start`. */
function stringEnd(text: string, start: number): number {
  let quote = text.indexOf('"', start + 1);
  for (;;) {
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 0) return quote;
    quote = text.indexOf('"', quote + 1);
  }
}

/** The first problem of a text (decoded from bytes, so well-formed) that JSON.parse accepted, or null. */
function inspect(text: string, maxDepth: number): JsonProblem | null {
  const stack: Container[] = [];
  // The next backslash at or after the current position: strings without one are taken as
  // they are, without decoding (positions only grow, so finding them all is linear).
  let backslash = -1;
  let unicodeEscape = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (stack.length >= maxDepth) return { kind: 'too-deep', path: pathOf(stack) };
      stack.push(
        c === 0x7b ? { keys: new Set(), at: '', expectingKey: true } : { keys: null, at: 0, expectingKey: false },
      );
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
    } else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top.keys) top.expectingKey = true;
      else top.at = (top.at as number) + 1;
    } else if (c === 0x22 /* " */) {
      const end = stringEnd(text, i);
      if (backslash !== Infinity && backslash < i) {
        const next = text.indexOf('\\', i);
        backslash = next === -1 ? Infinity : next;
      }
      const escaped = backslash < end;
      if (escaped && unicodeEscape !== Infinity && unicodeEscape < i) {
        const next = text.indexOf('\\u', i);
        unicodeEscape = next === -1 ? Infinity : next;
      }
      const top = stack[stack.length - 1];
      if (top?.keys && top.expectingKey) {
        const key = escaped ? (JSON.parse(text.slice(i, end + 1)) as string) : text.slice(i + 1, end);
        if (FORBIDDEN_KEYS.has(key)) return { kind: 'forbidden-key', path: pathOf(stack, key) };
        if (top.keys.has(key)) return { kind: 'duplicate-key', path: pathOf(stack, key) };
        top.keys.add(key);
        top.at = key;
        top.expectingKey = false;
      } else if (escaped && unicodeEscape < end && BAD_TEXT.test(JSON.parse(text.slice(i, end + 1)) as string)) {
        // Text decoded from bytes is well-formed, and JSON forbids raw control characters:
        // only \u escapes can smuggle NUL or a lone surrogate in.
        return { kind: 'bad-text', path: pathOf(stack) };
      }
      i = end;
    }
    // Anything else (whitespace, ':', numbers, true/false/null) changes nothing.
  }
  return null;
}

export function parseStrictJson(text: string, maxDepth = MAX_JSON_DEPTH): StrictJson {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, problem: { kind: 'syntax' } };
  }
  const problem = inspect(text, maxDepth);
  return problem ? { ok: false, problem } : { ok: true, value };
}

/** The problem as an error detail `{field, problem}` (for `syntax`, which has no field: null). */
export function describeJsonProblem(
  problem: JsonProblem,
  maxDepth = MAX_JSON_DEPTH,
): { field: string; problem: string } | null {
  switch (problem.kind) {
    case 'syntax':
      return null;
    case 'too-deep':
      return { field: problem.path, problem: `is nested deeper than ${maxDepth} levels` };
    case 'forbidden-key':
      return { field: problem.path, problem: 'is not an allowed property' };
    case 'duplicate-key':
      return { field: problem.path, problem: 'appears more than once' };
    case 'bad-text':
      return { field: problem.path, problem: 'must not contain NUL characters or unpaired surrogates' };
  }
}
