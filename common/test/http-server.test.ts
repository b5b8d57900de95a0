import type { Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer } from '../src/service/http-server.js';

/**
 * Requests node's own parser refuses never reach express; the shared server still answers
 * them in the error shape of docs/design.md §3 rather than node's bare "400 Bad Request".
 */
let server: Server;
const handled: unknown[] = [];
let port: number;
beforeAll(async () => {
  const app = express()
    .get('/ok', (_req, res) => {
      res.json({ ok: true });
    })
    .post('/slow', express.json(), async (req, res) => {
      await new Promise((resolve) => setTimeout(resolve, 200)); // a handler that writes to a database, say
      handled.push(req.body);
      res.status(201).json({ created: true });
    });
  server = createHttpServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** Sends `request` as written and reads the one answer, up to the server closing the connection. */
async function send(request: string) {
  const raw = await new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1', () => socket.write(Buffer.from(request, 'latin1')));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
  const [head = '', body = ''] = raw.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  return { status: Number(statusLine.split(' ')[1]), headers, body };
}

describe('the shared HTTP server', () => {
  it.each([
    { problem: 'a header line without a colon', request: 'GET /ok HTTP/1.1\r\nHost: x\r\nX-No-Colon\r\nConnection: close\r\n\r\n', status: 400 },
    { problem: 'a request line that is not HTTP', request: 'HELLO THERE\r\n\r\n', status: 400 },
    {
      problem: 'both Content-Length and chunked framing',
      request: 'POST /ok HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      status: 400,
    },
    { problem: 'a negative Content-Length', request: 'POST /ok HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n', status: 400 },
    { problem: 'a control character in a header value', request: 'GET /ok HTTP/1.1\r\nHost: x\r\nX-Ctl: a\u0001b\r\n\r\n', status: 400 },
    { problem: "headers over node's 16 kB limit", request: `GET /ok HTTP/1.1\r\nHost: x\r\nX-Huge: ${'h'.repeat(20_000)}\r\n\r\n`, status: 431 },
    {
      problem: 'an Expect header the server cannot meet',
      request: 'GET /ok HTTP/1.1\r\nHost: x\r\nExpect: the-unexpected\r\nConnection: close\r\n\r\n',
      status: 417,
    },
  ])('when a request has $problem, then it gets $status in the error shape', async ({ request, status }) => {
    const res = await send(request);

    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/json\b/);
    expect(JSON.parse(res.body)).toEqual({ errors: [{ message: expect.stringMatching(/\S/) }] });
  });

  it('when bytes follow a complete request that said Connection: close, then the client gets that request\'s own answer', async () => {
    const body = '{"n":1}';
    const res = await send(
      `POST /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}xyz`,
    );

    // The request ran: answering it "400 Malformed" would claim a refusal that changed nothing.
    expect(handled).toEqual([{ n: 1 }]);
    expect(res.status).toBe(201);
    expect(JSON.parse(res.body)).toEqual({ created: true });
  });

  it('when a request is well formed, then express answers it as usual', async () => {
    const res = await send('GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');

    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ ok: true });
  });
});
