import fc, { type Arbitrary } from 'fast-check';

/** Values a client may put in a JSON body, from the awkward to the hostile. */

/** Strings that are not well-formed UTF-16: they cannot be stored or hashed as given. */
export const unpairedSurrogates = fc.constantFrom('\uD800', 'a\uDFFFb', 'Gig \uDBFF', '\uD83D', '\uDE00x', '\uDC00\uD800');

const notableStrings = fc.constantFrom(
  '', ' ', '   ', '\u0000', 'a\u0000b', '\t\n\r', '\u007f', '\u200B', '\u202Egnp.exe', '\uFEFF', 'e\u0301',
  'Ω≈ç√∫', '🎫🎟️', '👩‍👩‍👧', 'ﷺ', '𝕿𝖎𝖈𝖐𝖊𝖙', 'ﾟ･✿ヾ╲(｡◕‿◕｡)╱✿･ﾟ', '\uFFFD', '\uFFFF',
  "'; drop table tickets; --", '" or 1=1 --', '{{7*7}}', '${7*7}', '<script>alert(1)</script>',
  '__proto__', 'constructor', 'prototype', 'null', 'undefined', 'true', '[]', '{}',
  'NaN', 'Infinity', '-0', '12.50', '1e21', '0x10', '  12  ',
  'tok_visa', ' tok_visa', 'TOK_VISA', 'tok_chargeDeclined', 'tok_mastercard\u0000',
  'someone@example.com', ' Someone@Example.COM ', 'a@b', '@example.com', 'a@b.c\u0000', 'ä@example.com',
  '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff',
);

/** Any strings a client could send: unicode of every kind, control characters, lone surrogates, huge ones. */
export const awkwardString: Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: notableStrings },
  { weight: 3, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
  { weight: 2, arbitrary: unpairedSurrogates },
  { weight: 1, arbitrary: fc.uuid() },
  // Lengths around the limits (200 title, 128 password, 254 email, 255 token) and far past them.
  { weight: 1, arbitrary: fc.constantFrom(129, 199, 200, 201, 254, 255, 256, 5_000).map((n) => 'x'.repeat(n)) },
  { weight: 1, arbitrary: fc.constantFrom(60_000, 110_000).map((n) => 'é'.repeat(n)) },
);

/** Numbers at the edges: huge, tiny, negative zero, binary fractions, more than two decimals. */
export const awkwardNumber: Arbitrary<number> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      0, -0, 1, -1, 0.01, 0.001, 0.1 + 0.2, 0.49, 0.5, 12.5, 12.505, 19.99, 1.005, 1e-7, 1e21, 1e308, -1e308,
      Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2, Number.MIN_VALUE, 999_999.99, 1_000_000, 1_000_000.01, 2 ** 31,
    ),
  },
  { weight: 2, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 1, arbitrary: fc.integer() },
);

/** Numbers written as strings, which a JSON API must not take for numbers. */
export const numberLikeString = fc.constantFrom('12.50', '10', 'NaN', 'Infinity', '-Infinity', '-0', '1e3', '0x1F', '', ' 5 ');

/** Any JSON value: the awkward scalars above, and arrays and objects nested a few levels. */
export const awkwardValue: Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: awkwardString },
  { weight: 3, arbitrary: awkwardNumber },
  { weight: 1, arbitrary: numberLikeString },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, [], {}) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.nat({ max: 2_000 }).map(nested) },
);

function nested(depth: number): unknown {
  let value: unknown = 'deep';
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { a: value };
  return value;
}

/** A value close to a valid one: the same text with something unstorable or invisible added, the same number a little off or as a string. */
function nearMiss(valid: unknown): Arbitrary<unknown> {
  if (typeof valid === 'string') {
    return fc.oneof(
      { weight: 2, arbitrary: fc.tuple(unpairedSurrogates, fc.boolean()).map(([bad, before]) => (before ? bad + valid : valid + bad)) },
      { weight: 1, arbitrary: fc.constantFrom(` ${valid} `, valid.toUpperCase(), `${valid}\u0000`, `${valid}\u0007`, `\u202E${valid}`, `${valid}\u200B`, `${valid}\uFFFF`, `${valid}\uD83D\uDE00`, valid.repeat(60)) },
    );
  }
  if (typeof valid === 'number') {
    return fc.constantFrom(-valid, valid + 0.001, valid * 1e21, valid + 0.1 + 0.2, String(valid), valid.toFixed(2), [valid], { value: valid });
  }
  return fc.constant(valid);
}

/** Keys a body should never act on, including the ones that poison prototypes. */
const extraKey = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'id', 'userId', 'version', 'orderId', 'isAdmin', 'status', 'price '),
  fc.string({ maxLength: 10 }),
);

/**
 * A body built from a valid one: each field valid, missing or replaced by any value, maybe with
 * extra fields; or no object at all (an array, a string, a number, null).
 */
export function fuzzedObject(fields: Record<string, Arbitrary<unknown>>): Arbitrary<unknown> {
  const missing = Symbol('missing');
  const field = (valid: Arbitrary<unknown>) =>
    fc.oneof(
      { weight: 4, arbitrary: valid },
      { weight: 3, arbitrary: valid.chain(nearMiss) },
      { weight: 3, arbitrary: awkwardValue },
      { weight: 1, arbitrary: fc.constant(missing) },
    );
  const names = Object.keys(fields);
  const object = fc
    .tuple(fc.tuple(...names.map((n) => field(fields[n]!))), fc.array(fc.tuple(extraKey, awkwardValue), { maxLength: 3 }))
    .map(([values, extras]) => {
      const body: Record<string, unknown> = {};
      // defineProperty, so a key like `__proto__` becomes a real field of the JSON.
      for (const [key, value] of extras) Object.defineProperty(body, key, { value, enumerable: true, writable: true, configurable: true });
      names.forEach((name, i) => {
        if (values[i] !== missing) Object.defineProperty(body, name, { value: values[i], enumerable: true, configurable: true, writable: true });
      });
      return body;
    });
  return fc.oneof({ weight: 6, arbitrary: object }, { weight: 1, arbitrary: awkwardValue });
}
