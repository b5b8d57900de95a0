import { once } from 'node:events';
import http from 'node:http';
import { createRequire } from 'node:module';
import net, { type AddressInfo } from 'node:net';
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

/**
 * The WebSocket server Next's dev server answers its hot reload with: its own copy of `ws`,
 * inside next, so the test needs no dependency of its own.
 */
interface WsServer {
  on(event: 'connection', listener: (socket: { on(event: 'message', l: (data: Buffer) => void): void; send(data: string): void }, req: http.IncomingMessage) => void): void;
  close(): void;
}
const { WebSocketServer } = createRequire(import.meta.url)('next/dist/compiled/ws') as { WebSocketServer: new (options: { server: http.Server }) => WsServer };

/** An upgrade asked on a bare socket: all the front door answers until it closes the socket. */
async function upgradeAnswer(port: number, path: string, host = '127.0.0.1'): Promise<string> {
  const socket = net.connect(port, host);
  socket.write(`GET ${path} HTTP/1.1\r\nhost: localhost\r\nconnection: Upgrade\r\nupgrade: websocket\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`);
  let answer = '';
  socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
  await once(socket, 'close');
  return answer;
}

describe('the front door passing WebSockets on (next dev\'s hot reload)', () => {
  let client: http.Server;
  let wss: WsServer;
  let door: http.Server;
  let doorPort: number;
  let deadDoor: http.Server;
  let deadDoorPort: number;
  /** What the client saw of each WebSocket opened to it. */
  const opened: { url?: string; forwardedFor?: string; host?: string }[] = [];

  beforeAll(async () => {
    // Stands in for next dev: echoes each message back.
    client = http.createServer((_req, res) => res.end('client page'));
    wss = new WebSocketServer({ server: client });
    wss.on('connection', (socket, req) => {
      opened.push({ url: req.url, forwardedFor: req.headers['x-forwarded-for'] as string, host: req.headers.host });
      socket.on('message', (data) => socket.send(`echo ${data.toString()}`));
    });
    await new Promise<void>((resolve) => client.listen(0, '127.0.0.1', resolve));
    const clientPort = (client.address() as AddressInfo).port;
    const down = http.createServer();
    await new Promise<void>((resolve) => down.listen(0, '127.0.0.1', resolve));
    const downPort = (down.address() as AddressInfo).port;
    await new Promise<void>((resolve) => down.close(() => resolve()));

    door = createFrontDoor({ auth: clientPort, tickets: clientPort, orders: clientPort, payments: clientPort, client: clientPort });
    await new Promise<void>((resolve) => door.listen(0, '127.0.0.1', resolve));
    doorPort = (door.address() as AddressInfo).port;
    deadDoor = createFrontDoor({ auth: downPort, tickets: downPort, orders: downPort, payments: downPort, client: downPort });
    await new Promise<void>((resolve) => deadDoor.listen(0, '127.0.0.1', resolve));
    deadDoorPort = (deadDoor.address() as AddressInfo).port;
  });
  afterAll(() => {
    door?.close();
    deadDoor?.close();
    wss?.close();
    client?.closeAllConnections();
    client?.close();
  });

  it('when the browser opens a WebSocket on a client path, then it reaches the client with the forwarded headers, and messages pass both ways', async () => {
    const socket = new WebSocket(`ws://localhost:${doorPort}/_next/hmr?id=1`);
    await once(socket, 'open');
    const answer = once(socket, 'message') as Promise<[MessageEvent]>;

    socket.send('hello');

    expect((await answer)[0].data).toBe('echo hello');
    expect(opened.at(-1)).toEqual({ url: '/_next/hmr?id=1', forwardedFor: '127.0.0.1', host: `localhost:${doorPort}` });
    socket.close();
    await once(socket, 'close');
  });

  it('when the client is down, then the upgrade is answered 502 in the error shape and the browser\'s socket is closed', async () => {
    const answer = await upgradeAnswer(deadDoorPort, '/_next/hmr');

    expect(answer).toMatch(/^HTTP\/1\.1 502 Bad Gateway\r\n/);
    expect(answer.slice(answer.indexOf('\r\n\r\n') + 4)).toBe(JSON.stringify({ errors: [{ message: 'client is not available' }] }));
    const socket = new WebSocket(`ws://localhost:${deadDoorPort}/_next/hmr`);
    const [closed] = (await once(socket, 'close')) as [CloseEvent];
    expect(closed.wasClean).toBe(false);
  });

  it('when an upgrade asks for an API path, then 404 and the socket is closed: the services take no WebSockets', async () => {
    const seen = opened.length;

    const answer = await upgradeAnswer(doorPort, '/api/tickets');

    expect(answer).toMatch(/^HTTP\/1\.1 404 Not Found\r\n/);
    expect(opened.length).toBe(seen);
  });

  it('when another address asks to upgrade on the explorer\'s paths, then 403 as for its pages, and the socket is closed', async () => {
    const answer = await upgradeAnswer(port, '/api/events/stream', networkAddress);

    expect(answer).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n/);
    expect(answer).toContain(JSON.stringify({ errors: [{ message: 'The event explorer is served to this machine only' }] }));
  });

  it('when the front door closes, then the WebSockets through it are closed too', async () => {
    const own = createFrontDoor({ auth: 9, tickets: 9, orders: 9, payments: 9, client: (client.address() as AddressInfo).port });
    await new Promise<void>((resolve) => own.listen(0, '127.0.0.1', resolve));
    const socket = new WebSocket(`ws://localhost:${(own.address() as AddressInfo).port}/_next/hmr`);
    await once(socket, 'open');

    own.close();

    await once(socket, 'close');
  });
});
