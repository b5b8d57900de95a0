/**
 * A front door in a process of its own, with every route sent to the bare Express server: what
 * the proxy hop alone costs, with nothing slow behind it. FRONT_DOOR picks which: `npm start`'s
 * (an undici Pool per upstream, the default), or one of the node:http alternatives it was
 * measured against (FRONT_DOORS in baselines.ts).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createFrontDoor } from '../scripts/start/front-door.js';
import type { FrontDoorKind } from './baselines.js';

/** http.request per request, piped both ways: the front door as it was before undici. */
function nodeHttpFrontDoor(port: number, agent: http.Agent | undefined) {
  return http.createServer((req, res) => {
    const proxied = http.request(
      {
        host: '127.0.0.1',
        port,
        agent,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, 'x-forwarded-for': req.socket.remoteAddress ?? '', 'x-forwarded-proto': 'http', 'x-forwarded-host': req.headers.host ?? '' },
      },
      (upstream) => {
        res.writeHead(upstream.statusCode ?? 502, upstream.rawHeaders);
        upstream.pipe(res);
      },
    );
    res.once('close', () => {
      if (!res.writableFinished) proxied.destroy();
    });
    proxied.on('error', () => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
    req.pipe(proxied);
  });
}

function frontDoor(kind: FrontDoorKind, port: number) {
  switch (kind) {
    case 'undici':
      return createFrontDoor({ auth: port, tickets: port, orders: port, payments: port, client: port });
    case 'http-global':
      return nodeHttpFrontDoor(port, undefined);
    case 'http-lifo':
      return nodeHttpFrontDoor(port, new http.Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 64, scheduling: 'lifo' }));
  }
}

const door = frontDoor((process.env.FRONT_DOOR ?? 'undici') as FrontDoorKind, Number(process.env.BARE_PORT));
process.on('disconnect', () => process.exit(0));
door.listen(0, '127.0.0.1', () => process.send!({ port: (door.address() as AddressInfo).port }));
