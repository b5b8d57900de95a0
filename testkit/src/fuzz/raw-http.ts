import { connect } from 'node:net';
import fc, { type Arbitrary } from 'fast-check';
import { encodedBody } from './bodies.js';
import type { FuzzResponse } from './target.js';

const rawMethods = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'get', 'GETT', 'PRI', 'CONNECT', 'TRACE', 'PROPFIND', '', 'G ET', 'POST\u0000');
const rawVersions = fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/1.1', 'HTTP/2.0', 'HTTP/9.9', 'HTTP/1', 'http/1.1', 'HTTP/1.1 extra', '');

/**
 * Whole requests as bytes, most with something wrong at the HTTP level: framing (missing,
 * negative, duplicate or lying Content-Length, Content-Length with chunked, bad chunks), header
 * syntax (no colon, spaces before the colon, control characters, folding, bare LF, oversized),
 * request line (unknown or lower-case methods, odd versions, absolute or asterisk targets).
 * Every request asks the server to close the connection, so the answer ends with it.
 */
export function rawRequests(paths: string[], body: Arbitrary<unknown>): Arbitrary<Buffer> {
  const headerLines = fc.array(
    fc.constantFrom(
      'Content-Type: application/json', 'Content-Type: text/plain', 'Content-Type: application/json; charset=utf-16',
      'Transfer-Encoding: chunked', 'Transfer-Encoding: gzip, chunked', 'Transfer-Encoding: identity', 'Transfer-Encoding: chunked\r\nTransfer-Encoding: x',
      'Content-Length: -1', 'Content-Length: abc', 'Content-Length: 1, 2', 'Content-Length: 0', 'Content-Length: 99999999999999999999',
      'Content-Encoding: gzip', 'Expect: 100-continue', 'Expect: the-unexpected', 'Host:', 'Host: a\r\nHost: b',
      'X-No-Colon', 'X-Space : value', ' X-Leading-Space: v', 'X-Fold: a\r\n folded', 'X-Ctl: a\u0001b', 'X-Nul: \u0000',
      'X-Del: \u007f', 'X-Huge: ' + 'h'.repeat(20_000), 'Cookie: session=%E0',
      'X-Forwarded-For: \u00ff\u00fe', 'X-Request-Id: ../../x',
    ),
    { maxLength: 3 },
  );
  const target = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...paths) },
    { weight: 1, arbitrary: fc.constantFrom('*', 'http://example.com/api/tickets', '/api/tickets#frag', '/api tickets', '/api/\u00e9', '/api/%', 'api/tickets', '/api/tickets?%', '') },
  );
  return fc
    .record({
      method: fc.oneof({ weight: 4, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE') }, { weight: 1, arbitrary: rawMethods }),
      target,
      version: fc.oneof({ weight: 6, arbitrary: fc.constant('HTTP/1.1') }, { weight: 1, arbitrary: rawVersions }),
      headers: headerLines,
      body: fc.option(encodedBody(body), { freq: 2 }),
      framing: fc.constantFrom('length', 'length', 'short-length', 'chunked', 'bad-chunk', 'none'),
      eol: fc.constantFrom('\r\n', '\r\n', '\r\n', '\n'),
    })
    .map(({ method, target, version, headers, body, framing, eol }) => {
      const bytes = body?.bytes ?? Buffer.alloc(0);
      const lines = [`${method} ${target} ${version}`.trim(), 'Host: 127.0.0.1', 'Connection: close', ...headers];
      if (body?.contentType) lines.push(`Content-Type: ${body.contentType}`);
      let payload = bytes;
      if (framing === 'length') lines.push(`Content-Length: ${bytes.length}`);
      if (framing === 'short-length') lines.push(`Content-Length: ${Math.max(0, bytes.length - 3)}`);
      if (framing === 'chunked' || framing === 'bad-chunk') {
        lines.push('Transfer-Encoding: chunked');
        const size = framing === 'chunked' ? bytes.length.toString(16) : 'zz';
        payload = Buffer.concat([Buffer.from(`${size}\r\n`), bytes, Buffer.from('\r\n0\r\n\r\n')]);
      }
      return Buffer.concat([Buffer.from(lines.join(eol) + eol + eol, 'latin1'), payload]);
    });
}

/** Writes one request in raw form and collects every byte the server sends until it closes. */
export function sendRaw(port: number, bytes: Buffer, timeoutMs = 5_000): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1');
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => {}); // a reset after the answer is how some refusals end
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
    socket.write(bytes);
  });
}

/** Splits what a server sent into its responses (Content-Length or chunked bodies, else to the end). */
export function parseResponses(data: Buffer): FuzzResponse[] {
  const responses: FuzzResponse[] = [];
  let rest = data;
  while (rest.length > 0) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) throw new Error(`incomplete response head: ${JSON.stringify(rest.toString('latin1').slice(0, 200))}`);
    const [statusLine, ...lines] = rest.subarray(0, end).toString('latin1').split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '');
    if (!m) throw new Error(`not an HTTP response: ${JSON.stringify(statusLine)}`);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const i = line.indexOf(':');
      headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    let body: Buffer;
    rest = rest.subarray(end + 4);
    if (Number(m[1]) < 200) {
      body = Buffer.alloc(0); // a 1xx answer (100 Continue) has no body: the real answer follows
    } else if (headers['content-length'] !== undefined) {
      const n = Number(headers['content-length']);
      body = rest.subarray(0, n);
      rest = rest.subarray(n);
    } else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      const parts: Buffer[] = [];
      for (;;) {
        const eol = rest.indexOf('\r\n');
        const size = parseInt(rest.subarray(0, eol).toString('latin1'), 16);
        rest = rest.subarray(eol + 2);
        if (!size) {
          rest = rest.subarray(rest.indexOf('\r\n') + 2);
          break;
        }
        parts.push(rest.subarray(0, size));
        rest = rest.subarray(size + 2);
      }
      body = Buffer.concat(parts);
    } else {
      body = rest;
      rest = Buffer.alloc(0);
    }
    const status = Number(m[1]);
    responses.push({ status, headers, text: body.toString('utf8') });
    // 1xx answers (100 Continue) come before the real one.
    if (status >= 200 && headers.connection?.toLowerCase() === 'close') break;
  }
  return responses;
}
