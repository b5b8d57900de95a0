import { gzipSync } from 'node:zlib';
import fc, { type Arbitrary } from 'fast-check';

/** Bodies on the wire: a value encoded every way a client might, and ways no client should. */

export interface RawBody {
  contentType?: string;
  contentEncoding?: string;
  bytes: Buffer;
}

/** JSON text with the lone surrogates JSON.stringify escapes left as they are. */
const json = (value: unknown) => JSON.stringify(value) ?? 'null';

/** Byte sequences that are not UTF-8: a stray continuation, overlong forms, an encoded surrogate, a cut-off character. */
const invalidUtf8 = fc.constantFrom(
  Buffer.from([0xff]), Buffer.from([0xc0, 0xaf]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xe2, 0x82]),
  Buffer.from([0x80]), Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80]), Buffer.from([0xfe, 0xfe]),
);

/**
 * Splices invalid bytes into the JSON text of `value` at the start of its `nth` string value
 * (counted round), where a lenient decoder would turn them into text the server keeps; with no
 * string value, after the first quote or at the end.
 */
function withInvalidUtf8(value: unknown, bad: Buffer, nth: number): Buffer {
  const text = Buffer.from(json(value));
  const quotes = [...text.keys()].filter((i) => text[i] === 0x22);
  const valueQuotes = quotes.filter((i) => text[i - 1] === 0x3a /* : */ || text[i - 1] === 0x5b /* [ */);
  const candidates = valueQuotes.length ? valueQuotes : quotes;
  const at = candidates.length ? candidates[nth % candidates.length]! + 1 : text.length;
  return Buffer.concat([text.subarray(0, at), bad, text.subarray(at)]);
}

/** JSON that is not: cut short, trailing junk, JavaScript-only syntax, numbers JSON has no room for. */
const malformedJson = fc.oneof(
  fc.constantFrom(
    '{', '{"title":', '{"title":"x",}', "{'title':'x'}", '{title:"x"}', '{"price":1e400,"title":"x"}', '{"price":-1e400}',
    '{"price":NaN}', '{"price":Infinity}', '{"price":0x10}', '{"price":012}', '{"price":.5}', '{"price":12.50,"title":"t"}',
    '{"a":1}{"b":2}', '[1,2', '"unterminated', 'nul', 'true false', '\uFEFF{"title":"x","price":1}', '{"title":"\\ud800","price":1}',
    '{"title":"\\u0000","price":1}', '{"email":"\\uDFFF@example.com","password":"12345678"}', '{"__proto__":{"admin":true}}',
    '{"title":"x","title":"y","price":1,"price":2}', '{"ticketId":"' + '0'.repeat(36) + '"}',
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.nat({ max: 3_000 }).map((n) => '['.repeat(n) + ']'.repeat(n)),
  fc.nat({ max: 3_000 }).map((n) => '{"a":'.repeat(n) + '1' + '}'.repeat(n)),
);

const jsonTypes = fc.constantFrom(
  'application/json', 'application/json; charset=utf-8', 'application/JSON', 'Application/Json; Charset=UTF-8',
  'application/json; charset=latin1', 'application/json; charset=utf-16le', 'application/json; charset=utf-7',
  'application/json; charset=nonsense', 'application/json; boundary=x', 'application/json;;;', 'application/vnd.api+json',
  'application/merge-patch+json',
);
const otherTypes = fc.constantFrom(
  'text/plain', 'text/plain; charset=utf-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x',
  'application/xml', 'application/octet-stream', 'application', '*/*', 'json', ';', 'text/html; charset=utf-8',
);

/** `value` sent every way a client might: as JSON or not, with any content type or none, compressed or not, broken. */
export function encodedBody(value: Arbitrary<unknown>): Arbitrary<RawBody> {
  return fc.oneof(
    { weight: 12, arbitrary: value.map((v) => ({ contentType: 'application/json', bytes: Buffer.from(json(v)) })) },
    { weight: 2, arbitrary: fc.tuple(value, jsonTypes).map(([v, contentType]) => ({ contentType, bytes: Buffer.from(json(v)) })) },
    { weight: 1, arbitrary: fc.tuple(value, otherTypes).map(([v, contentType]) => ({ contentType, bytes: Buffer.from(json(v)) })) },
    { weight: 1, arbitrary: value.map((v) => ({ contentType: 'application/x-www-form-urlencoded', bytes: Buffer.from(formOf(v)) })) },
    { weight: 1, arbitrary: value.map((v) => ({ bytes: Buffer.from(json(v)) })) },
    { weight: 1, arbitrary: fc.constant({ contentType: 'application/json', bytes: Buffer.alloc(0) }) },
    { weight: 2, arbitrary: malformedJson.map((text) => ({ contentType: 'application/json', bytes: Buffer.from(text) })) },
    { weight: 4, arbitrary: fc.tuple(value, invalidUtf8, fc.nat()).map(([v, bad, nth]) => ({ contentType: 'application/json', bytes: withInvalidUtf8(v, bad, nth) })) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => ({ contentType: 'application/json', bytes: Buffer.from(b) })) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(value, fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'compress', 'gzip, gzip', 'x-unknown'))
        .map(([v, contentEncoding]) => ({ contentType: 'application/json', contentEncoding, bytes: Buffer.from(json(v)) })),
    },
    { weight: 1, arbitrary: value.map((v) => ({ contentType: 'application/json', contentEncoding: 'gzip', bytes: gzipSync(json(v)) })) },
    { weight: 1, arbitrary: fc.constant(null).map(() => ({ contentType: 'application/json', contentEncoding: 'gzip', bytes: gzipBomb() })) },
  );
}

/** A few kilobytes that inflate to 5 MB of JSON: the body limit must hold for what is inflated, not what was sent. */
let bomb: Buffer | undefined;
const gzipBomb = () => (bomb ??= gzipSync(`{"title":"${'a'.repeat(5_000_000)}","price":1}`));

function formOf(value: unknown): string {
  if (value === null || typeof value !== 'object') return String(value);
  return Object.entries(value)
    .map(([k, v]) => `${encodeBytes(k)}=${encodeBytes(typeof v === 'string' ? v : json(v))}`)
    .join('&');
}

/** Percent-encodes the UTF-8 bytes of `s` (a lone surrogate becomes U+FFFD, as any client would send it). */
export function encodeBytes(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s)) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-_.~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
