import fc from 'fast-check';
import { describeJsonProblem, parseStrictJson } from './strict-json';

describe('parseStrictJson', () => {
  it('should read what JSON.parse reads when nothing is wrong with it', () => {
    const clean = fc.jsonValue({ maxDepth: 6 }).filter((value) => {
      const text = JSON.stringify(value);
      return !/"(__proto__|constructor|prototype)":|\\u0000/.test(text);
    });
    fc.assert(
      fc.property(clean, (value) => {
        const text = JSON.stringify(value);
        expect(parseStrictJson(text)).toEqual({ ok: true, value: JSON.parse(text) });
      }),
      { seed: 42, numRuns: 500 },
    );
  });

  it('should read whitespace, escapes and structure characters inside strings', () => {
    const text = ' { "a" : [ 1 , { "b\\"{[" : "x\\\\" } , "\\u00e9\\ud83d\\uded2" ] , "c" : null } ';
    expect(parseStrictJson(text)).toEqual({ ok: true, value: JSON.parse(text) });
  });

  it.each([
    ['{', 'a truncated object'],
    ["{'a':1}", 'single quotes'],
    ['{"a":1,}', 'a trailing comma'],
    ['{"a":"\u0001"}', 'a raw control character'],
    ['', 'nothing'],
  ])('should refuse %j (%s) as a syntax error', (text) => {
    expect(parseStrictJson(text)).toEqual({ ok: false, problem: { kind: 'syntax' } });
  });

  it.each([
    ['{"__proto__":{"isAdmin":true}}', '__proto__'],
    ['{"name":"x","constructor":{"prototype":{"a":1}}}', 'constructor'],
    ['{"a":{"b":[1,{"prototype":1}]}}', 'a.b.1.prototype'],
    ['{"\\u005f_proto__":1}', '__proto__'],
    ['{"__pr\\u006fto__":null}', '__proto__'],
    ['[{"ok":1},{"__proto__":[]}]', '1.__proto__'],
  ])('should refuse the prototype key in %s at %s', (text, path) => {
    expect(parseStrictJson(text)).toEqual({ ok: false, problem: { kind: 'forbidden-key', path } });
  });

  it('should accept prototype words as values and inside longer keys', () => {
    const text = '{"name":"__proto__","list":["constructor"],"my_prototype":1,"__proto__x":2}';
    expect(parseStrictJson(text)).toEqual({ ok: true, value: JSON.parse(text) });
  });

  it.each([
    ['{"name":"a","name":"b"}', 'name'],
    ['{"name":"a","n\\u0061me":"b"}', 'name'],
    ['{"x":{"q":1,"q":1}}', 'x.q'],
    ['[{"a":1},{"a":1,"b":2,"a":3}]', '1.a'],
  ])('should refuse the duplicate key in %s at %s', (text, path) => {
    expect(parseStrictJson(text)).toEqual({ ok: false, problem: { kind: 'duplicate-key', path } });
  });

  it('should accept the same key in sibling objects', () => {
    const text = '[{"a":1},{"a":2}]';
    expect(parseStrictJson(text)).toEqual({ ok: true, value: [{ a: 1 }, { a: 2 }] });
  });

  it('should accept nesting up to the limit and refuse one level more, naming where', () => {
    const nested = (depth: number) => '{"a":'.repeat(depth - 1) + '{}' + '}'.repeat(depth - 1);
    expect(parseStrictJson(nested(4), 4).ok).toBe(true);
    expect(parseStrictJson(nested(5), 4)).toEqual({ ok: false, problem: { kind: 'too-deep', path: 'a.a.a.a' } });
    expect(parseStrictJson('[[[[[]]]]]', 4)).toEqual({ ok: false, problem: { kind: 'too-deep', path: '0.0.0.0' } });
  });

  it('should refuse 100,000 levels of nesting without overflowing the stack', () => {
    const text = '['.repeat(100_000) + ']'.repeat(100_000);
    expect(parseStrictJson(text)).toEqual({
      ok: false,
      problem: { kind: 'too-deep', path: Array(16).fill('0').join('.') },
    });
  });

  it.each([
    ['{"name":"a\\u0000b"}', 'name'],
    ['{"order":["x","\\ud800"]}', 'order.1'],
    ['{"n":"\\udc00\\ud800"}', 'n'],
    ['{"n":"x\\uDBFF"}', 'n'],
  ])('should refuse NUL and unpaired surrogates in %s at %s', (text, path) => {
    expect(parseStrictJson(text)).toEqual({ ok: false, problem: { kind: 'bad-text', path } });
  });

  it('should accept a surrogate pair, escaped or not', () => {
    expect(parseStrictJson('{"n":"\\ud83d\\uded2 🛒"}')).toEqual({ ok: true, value: { n: '🛒 🛒' } });
  });

  it('should describe each problem as the detail of an error body', () => {
    expect(describeJsonProblem({ kind: 'syntax' })).toBeNull();
    expect(describeJsonProblem({ kind: 'forbidden-key', path: 'a.__proto__' })).toEqual({
      field: 'a.__proto__',
      problem: 'is not an allowed property',
    });
    expect(describeJsonProblem({ kind: 'duplicate-key', path: 'name' })).toEqual({
      field: 'name',
      problem: 'appears more than once',
    });
    expect(describeJsonProblem({ kind: 'too-deep', path: 'a' }, 16)).toEqual({
      field: 'a',
      problem: 'is nested deeper than 16 levels',
    });
    expect(describeJsonProblem({ kind: 'bad-text', path: 'name' })).toEqual({
      field: 'name',
      problem: 'must not contain NUL characters or unpaired surrogates',
    });
  });
});
