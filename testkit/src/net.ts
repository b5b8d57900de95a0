import { createConnection } from 'node:net';

/**
 * Whether a TCP connection to host:port is accepted (within 2 s). 127.0.0.2 is the loopback
 * interface too: a server on every interface answers there, one on 127.0.0.1 does not.
 */
export function acceptsConnection(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
