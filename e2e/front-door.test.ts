import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFrontDoor, isExplorerPath, type Upstreams } from '../scripts/start/front-door.js';

/**
 * `npm start`'s front door opened to the network (HOST=0.0.0.0) still serves the event explorer
 * to this machine only. Asked through this machine's own network address, a request comes from
 * that address, as one from another machine would.
 */
const networkAddress = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

let client: http.Server;
let frontDoor: http.Server;
let port: number;
beforeAll(async () => {
  if (!networkAddress) throw new Error('this test needs a network interface besides loopback');
  // Stands in for the web client: says which path reached it.
  client = http.createServer((req, res) => res.end(`client saw ${req.url}`));
  await new Promise<void>((resolve) => client.listen(0, '127.0.0.1', resolve));
  const clientPort = (client.address() as AddressInfo).port;
  const upstreams = { auth: 9, tickets: 9, orders: 9, payments: 9, client: clientPort } as Upstreams;
  frontDoor = createFrontDoor(upstreams);
  await new Promise<void>((resolve) => frontDoor.listen(0, '0.0.0.0', resolve));
  port = (frontDoor.address() as AddressInfo).port;
});
afterAll(async () => {
  frontDoor?.close();
  client?.close();
});

const get = async (host: string, path: string) => {
  const res = await fetch(`http://${host}:${port}${path}`);
  return { status: res.status, text: await res.text() };
};

const explorerPaths = ['/events', '/events?q=abc', '/api/events/stream', '/api/events/stream?last=all', '/EVENTS', '/%65vents', '//events', '/api//events/stream', '/events/'];

describe('the front door opened to the network', () => {
  it('when another address asks for the explorer, in any spelling of its paths, then 403 in the error shape and the client never sees it', async () => {
    for (const path of explorerPaths) {
      const res = await get(networkAddress!, path);

      expect({ path, ...res }).toEqual({ path, status: 403, text: JSON.stringify({ errors: [{ message: 'The event explorer is served to this machine only' }] }) });
    }
  });

  it('when this machine asks for the explorer, then it reaches the client', async () => {
    const res = await get('127.0.0.1', '/api/events/stream');

    expect(res).toEqual({ status: 200, text: 'client saw /api/events/stream' });
  });

  it('when another address asks for any other page, then it reaches the client', async () => {
    for (const path of ['/', '/orders', '/eventsx', '/tickets/events']) {
      expect(await get(networkAddress!, path)).toEqual({ status: 200, text: `client saw ${path}` });
    }
  });
});

describe('isExplorerPath', () => {
  it('when a path is the explorer page or its feed, however written, then true; other paths false', () => {
    for (const path of explorerPaths) expect({ path, is: isExplorerPath(path) }).toEqual({ path, is: true });
    for (const path of ['/', '/event', '/eventsx', '/api/orders', '/orders/events']) expect({ path, is: isExplorerPath(path) }).toEqual({ path, is: false });
  });
});

describe('the front door passing requests on', () => {
  let service: http.Server;
  let door: http.Server;
  let base: string;
  /** Lets the event stream's second event go. */
  let sendSecond: () => void = () => {};
  /** Resolved when the service sees the browser's request to /api/tickets/hang closed. */
  let hangClosed: Promise<void>;
  let closeHang: () => void;
  let hangArrived: Promise<void>;
  let arriveHang: () => void;

  beforeAll(async () => {
    hangClosed = new Promise((resolve) => (closeHang = resolve));
    hangArrived = new Promise((resolve) => (arriveHang = resolve));
    // Stands in for the services behind the front door.
    service = http.createServer((req, res) => {
      if (req.url === '/api/orders/o1/updates') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: one\n\n');
        sendSecond = () => res.end('data: two\n\n');
        return;
      }
      if (req.url === '/api/tickets/hang') {
        res.once('close', closeHang);
        arriveHang();
        return;
      }
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        res.setHeader('set-cookie', ['a=1; Path=/', 'b=2; Path=/']);
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ method: req.method, url: req.url, body: Buffer.concat(chunks).toString(), forwardedFor: req.headers['x-forwarded-for'], host: req.headers.host }));
      });
    });
    await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
    const servicePort = (service.address() as AddressInfo).port;
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const downPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    door = createFrontDoor({ auth: servicePort, tickets: servicePort, orders: servicePort, payments: downPort, client: servicePort });
    await new Promise<void>((resolve) => door.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(door.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    door?.close();
    service?.closeAllConnections();
    service?.close();
  });

  it('when a request has a body and the answer several cookies, then both pass whole, with the forwarded headers', async () => {
    const res = await fetch(`${base}/api/users/signup?x=1`, { method: 'POST', body: 'a'.repeat(100_000), headers: { 'content-type': 'text/plain' } });

    expect(res.status).toBe(201);
    expect(res.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/']);
    expect(await res.json()).toEqual({ method: 'POST', url: '/api/users/signup?x=1', body: 'a'.repeat(100_000), forwardedFor: '127.0.0.1', host: new URL(base).host });
  });

  it('when a service streams events, then each reaches the browser as it is sent, not when the stream ends', async () => {
    const res = await fetch(`${base}/api/orders/o1/updates`);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();

    expect(decoder.decode((await reader.read()).value)).toBe('data: one\n\n');
    sendSecond();
    expect(decoder.decode((await reader.read()).value)).toBe('data: two\n\n');
    expect((await reader.read()).done).toBe(true);
  });

  it('when the browser goes away before the answer, then the request to the service is given up too', async () => {
    const browser = new AbortController();
    const answered = fetch(`${base}/api/tickets/hang`, { signal: browser.signal }).catch(() => 'aborted');
    await hangArrived;

    browser.abort();

    expect(await answered).toBe('aborted');
    await hangClosed; // the service saw its request closed (the test times out otherwise)
  });

  it('when a service is down, then 502 in the error shape', async () => {
    const res = await fetch(`${base}/api/payments`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });

    expect(res.status).toBe(502);
    expect(await res.json()).toEqual({ errors: [{ message: 'payments is not available' }] });
  });
});
