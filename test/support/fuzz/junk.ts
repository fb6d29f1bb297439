import fc from 'fast-check';

/**
 * What an attacker (or a broken client) sends instead of what the schema asks for. Sizes
 * stay under the 1 MB body limit except where a test wants the limit itself.
 */

/** Strings that have broken servers before: injection-looking, whitespace, unicode edge cases, numbers as text. */
const NASTY_STRINGS = [
  '',
  ' ',
  ' \t\n ',
  '\u00a0',
  "'; DROP TABLE lists; --",
  '" OR 1=1 --',
  '<script>alert(1)</script>',
  '../../etc/passwd',
  '%00',
  '%s%s%s%n',
  '${jndi:ldap://example.com/a}',
  '{{7*7}}',
  'null',
  'undefined',
  'NaN',
  'Infinity',
  '-1',
  '0',
  '1e309',
  'true',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '\u202eevil',
  '\ufeffbom',
  '\u0000',
  'nul\u0000inside',
  '\u0007bell',
  '\ud800',
  'lone \udc00 low',
  '🛒'.repeat(60),
  'e\u0301'.repeat(40),
  'İıß\u212a',
  'A4F-92K',
  'a4f92k',
];

/** One character a header value may carry (Node refuses to send others: CR, LF, NUL…). */
const headerChar = fc.oneof(
  fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)),
  fc.integer({ min: 0x80, max: 0xff }).map((code) => String.fromCharCode(code)),
);

export const headerJunk: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: headerChar, maxLength: 80 }),
  fc.nat({ max: 3000 }).map((n) => 'x'.repeat(n)),
);

/** A string around the bounds the contract names (names ≤ 200, units ≤ 32, list names ≤ 100, emails ≤ 254…). */
const boundaryString = fc
  .constantFrom(1, 6, 7, 8, 16, 31, 32, 33, 50, 51, 99, 100, 101, 127, 128, 129, 199, 200, 201, 254, 255, 256, 500, 501)
  .chain((n) => fc.constantFrom('x'.repeat(n), ' '.repeat(n), 'é'.repeat(n), '🛒'.repeat(n), ` ${'y'.repeat(n)} `));

export const junkString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 3, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 2, arbitrary: boundaryString },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 300_000 }).map((n) => 'z'.repeat(n)) },
);

/** Numbers JSON can carry that validators get wrong: exponents, tiny, huge, negative zero, unsafe integers. */
export const junkNumber: fc.Arbitrary<number> = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(
    0,
    -0,
    -1,
    0.5,
    1e-7,
    1.5e-7,
    1e-300,
    5e-324,
    1e21,
    1e308,
    2 ** 53 + 1,
    -(2 ** 53),
    0.1 + 0.2,
    1.0005,
  ),
);

/** Any JSON value, from small to nested, with prototype-looking keys now and then. */
export const junkValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    junkString,
    junkNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(
      fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('__proto__', 'constructor', 'prototype')),
      tie('value'),
      {
        maxKeys: 4,
      },
    ),
  ),
})).value;

/** Keys whose presence must be refused wherever they appear, spelled plainly and with JSON escapes. */
export const prototypeKeyText = fc.constantFrom(
  '"__proto__"',
  '"constructor"',
  '"prototype"',
  '"\\u005f_proto__"',
  '"__pr\\u006fto__"',
  '"c\\u006fnstructor"',
);
