import http from 'node:http';

/**
 * One origin for the browser, as the Kubernetes ingress gives: `/api/users`, `/api/tickets`,
 * `/api/orders`, `/api/payments` go to their services, everything else to the web client.
 */
export type Upstreams = Record<'auth' | 'tickets' | 'orders' | 'payments' | 'client', number>;

const API_ROUTES: [string, keyof Upstreams][] = [
  ['/api/users', 'auth'],
  ['/api/tickets', 'tickets'],
  ['/api/orders', 'orders'],
  ['/api/payments', 'payments'],
];

export function upstreamFor(path: string): keyof Upstreams {
  for (const [prefix, service] of API_ROUTES) {
    if (path === prefix || path.startsWith(`${prefix}/`) || path.startsWith(`${prefix}?`)) return service;
  }
  return 'client';
}

export function createFrontDoor(upstreams: Upstreams): http.Server {
  return http.createServer((req, res) => {
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
      },
    );
    proxied.on('error', () => {
      if (res.headersSent) return res.destroy();
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ message: `${target} is not available` }] }));
    });
    req.pipe(proxied);
  });
}
