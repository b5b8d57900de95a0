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
