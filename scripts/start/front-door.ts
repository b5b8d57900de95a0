import http from 'node:http';
import net from 'node:net';
import { pipeline, type Duplex } from 'node:stream';
import { serviceForPath, type ApiService } from '@ticketing/devkit/system/services';
import { Pool, type Dispatcher } from 'undici';

/**
 * One origin for the browser, as the Kubernetes ingress gives: `/api/users`, `/api/tickets`,
 * `/api/orders`, `/api/payments` go to their services, everything else to the web client,
 * WebSockets included (`next dev`'s hot reload, /_next/hmr, under `npm run dev`).
 */
export type Upstreams = Record<ApiService | 'client', number>;

export function upstreamFor(path: string): keyof Upstreams {
  return serviceForPath(path) ?? 'client';
}

/**
 * The event explorer shows every event on the bus (docs/guide/11-event-explorer.md): it is served
 * to this machine only, even when HOST opens the front door to the network. The path is read
 * as the client will route it: decoded, in any case, with repeated slashes as one.
 */
export function isExplorerPath(url: string): boolean {
  let path: string;
  try {
    path = decodeURIComponent(url.split(/[?#]/)[0]!);
  } catch {
    return true; // not a path the client could route either: refused alike
  }
  path = path.replace(/[/\\]+/g, '/').toLowerCase();
  return /^\/(api\/)?events(\/|$)/.test(path);
}

const isLoopback = (address: string | undefined) => /^(127\.|::1$|::ffff:127\.)/.test(address ?? '');

/** Headers of one connection, not of the request or answer: never passed on. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'expect']);

function forwardedHeaders(req: http.IncomingMessage): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
  headers['x-forwarded-for'] = req.socket.remoteAddress ?? '';
  headers['x-forwarded-proto'] = 'http';
  headers['x-forwarded-host'] = req.headers.host ?? '';
  return headers;
}

const sendError = (res: http.ServerResponse, status: number, message: string) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ errors: [{ message }] }));
};

/**
 * Passes one request to `pool` and its answer back as it comes, chunk by chunk (server-sent
 * events are not held back), pausing the upstream while the browser is slow to read.
 */
function forward(pool: Pool, target: string, req: http.IncomingMessage, res: http.ServerResponse) {
  let controller: Dispatcher.DispatchController | undefined;
  // The browser went away before the answer ended (a closed explorer page): so does the request.
  const gone = () => controller?.abort(new Error('the browser went away'));
  res.once('close', () => {
    if (!res.writableFinished) gone();
  });
  const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
  pool.dispatch(
    { method: req.method as Dispatcher.HttpMethod, path: req.url ?? '/', headers: forwardedHeaders(req), body: hasBody ? req : null },
    {
      onRequestStart(c) {
        controller = c;
        if (res.destroyed) gone();
      },
      onResponseStart(_c, statusCode, headers) {
        for (const name of HOP_BY_HOP) delete headers[name];
        res.writeHead(statusCode, headers as http.OutgoingHttpHeaders);
        // An event stream is open for the browser as soon as its service says so, not at its first event.
        if (String(headers['content-type']).startsWith('text/event-stream')) res.flushHeaders();
      },
      onResponseData(c, chunk) {
        if (!res.write(chunk)) {
          c.pause();
          res.once('drain', () => c.resume());
        }
      },
      onResponseEnd() {
        res.end();
      },
      onResponseError() {
        if (res.headersSent || res.destroyed) return void res.destroy();
        sendError(res, 502, `${target} is not available`);
      },
    },
  );
}

/** An answer on a socket that asked for an upgrade and does not get one; then it is closed. */
function refuseUpgrade(socket: Duplex, status: number, message: string) {
  const body = JSON.stringify({ errors: [{ message }] });
  const head = [`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}`, 'content-type: application/json', `content-length: ${Buffer.byteLength(body)}`, 'connection: close'];
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
}

/**
 * Passes an upgrade request to `port`: its request line and headers (the forwarded ones, and
 * the upgrade's own), then the bytes of both sockets to each other until they end. An error
 * on either side closes both; a client that cannot be reached is a 502.
 */
function tunnel(port: number, target: string, req: http.IncomingMessage, socket: Duplex, head: Buffer) {
  const headers = { ...forwardedHeaders(req), connection: 'Upgrade', upgrade: req.headers.upgrade ?? '' };
  const lines = [`${req.method} ${req.url} HTTP/1.1`, ...Object.entries(headers).flatMap(([name, value]) => [value].flat().map((v) => `${name}: ${v}`))];
  let connected = false;
  const upstream = net.connect(port, '127.0.0.1', () => {
    connected = true;
    upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (head.length > 0) upstream.write(head);
    pipeline(socket, upstream, socket, () => {}); // on an error at either end, destroys both
  });
  upstream.on('error', () => {
    if (!connected) refuseUpgrade(socket, 502, `${target} is not available`);
  });
  socket.on('error', () => upstream.destroy());
}

export function createFrontDoor(upstreams: Upstreams): http.Server {
  // One pool of kept-alive connections per upstream (undici: measured fastest, bench/front-doors.ts).
  // No body timeout: an event stream may stay quiet for long, and ends when the browser leaves.
  const pools = new Map(
    (Object.keys(upstreams) as (keyof Upstreams)[]).map((name) => [name, new Pool(`http://127.0.0.1:${upstreams[name]}`, { bodyTimeout: 0 })]),
  );
  const server = http.createServer((req, res) => {
    if (isExplorerPath(req.url ?? '/') && !isLoopback(req.socket.remoteAddress)) {
      return sendError(res, 403, 'The event explorer is served to this machine only');
    }
    const target = upstreamFor(req.url ?? '/');
    forward(pools.get(target)!, target, req, res);
  });
  // Only the client takes WebSockets; upgraded sockets are the server's no longer, so are kept here.
  const upgraded = new Set<Duplex>();
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    if (isExplorerPath(req.url ?? '/') && !isLoopback(req.socket.remoteAddress)) {
      return refuseUpgrade(socket, 403, 'The event explorer is served to this machine only');
    }
    if (upstreamFor(req.url ?? '/') !== 'client') return refuseUpgrade(socket, 404, 'No WebSocket is served here');
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    tunnel(upstreams.client, 'client', req, socket, head);
  });
  // Once the front door has closed, its connections to the services and the client go too:
  // they are stopping as well, and would wait for them to time out.
  server.once('close', () => {
    for (const pool of pools.values()) void pool.destroy();
  });
  // Nor does closing end the upgraded sockets, which would hold it open until the client ended them.
  const close = server.close.bind(server);
  server.close = (callback) => {
    for (const socket of upgraded) socket.destroy();
    return close(callback);
  };
  return server;
}
