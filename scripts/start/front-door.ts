import http from 'node:http';
import { serviceForPath, type ApiService } from '@ticketing/devkit/system/services';

/**
 * One origin for the browser, as the Kubernetes ingress gives: `/api/users`, `/api/tickets`,
 * `/api/orders`, `/api/payments` go to their services, everything else to the web client.
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

export function createFrontDoor(upstreams: Upstreams): http.Server {
  const server = http.createServer((req, res) => {
    if (isExplorerPath(req.url ?? '/') && !isLoopback(req.socket.remoteAddress)) {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ message: 'The event explorer is served to this machine only' }] }));
      return;
    }
    const target = upstreamFor(req.url ?? '/');
    const proxied = http.request(
      {
        host: '127.0.0.1',
        port: upstreams[target],
        method: req.method,
        path: req.url,
        headers: {
          ...req.headers,
          'x-forwarded-for': req.socket.remoteAddress ?? '',
          'x-forwarded-proto': 'http',
          'x-forwarded-host': req.headers.host ?? '',
        },
      },
      (upstream) => {
        res.writeHead(upstream.statusCode ?? 502, upstream.rawHeaders);
        upstream.pipe(res);
        // Once the front door has closed, the connection is not kept for another request: the
        // service or client behind it is stopping too, and would wait for it to time out.
        const { socket } = upstream;
        upstream.once('end', () => {
          if (!server.listening) socket.destroy();
        });
      },
    );
    // The browser went away before the answer ended (a closed explorer page): so does the request.
    res.once('close', () => {
      if (!res.writableFinished) proxied.destroy();
    });
    proxied.on('error', () => {
      if (res.headersSent || res.destroyed) return res.destroy();
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ message: `${target} is not available` }] }));
    });
    req.pipe(proxied);
  });
  return server;
}
