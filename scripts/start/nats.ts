import { spawnSync } from 'node:child_process';
import { connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { busDefaults } from '@ticketing/contracts';
import { freePort } from '@ticketing/devkit/free-port';
import { findNatsServer, isSupportedNatsVersion, NATS_MIN_VERSION, NatsServer } from '@ticketing/devkit/system/nats-server';
import { repoRoot } from '@ticketing/devkit/system/services';

/**
 * NATS for `npm start`: NATS_URL, a server of production's release line already on 4222, or one
 * we start (fetching Debian's into .nats/ when there is none).
 */
export interface NatsHandle {
  url: string;
  stop(): Promise<void>;
}

export function portAnswers(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export async function ensureNats(dataDir: string, log: (line: string) => void): Promise<NatsHandle> {
  const given = process.env.NATS_URL;
  if (given) {
    const version = await serverVersion(given);
    if (version && !isSupportedNatsVersion(version)) {
      throw new Error(`NATS_URL=${given} is nats-server ${version}, older than ${NATS_MIN_VERSION} (production's): point it at a newer one, or unset it`);
    }
    return { url: given, stop: async () => {} };
  }
  const { hostname, port } = new URL(busDefaults.url);
  const url = `nats://${hostname}:${port}`;
  let ownPort = Number(port);
  if (await portAnswers(hostname, ownPort)) {
    const version = await serverVersion(url);
    if (version && isSupportedNatsVersion(version)) {
      log(`using the NATS server already running at ${url}`);
      return { url, stop: async () => {} };
    }
    // An older one (Debian bookworm's 2.9) does not behave as production's: run our own beside it.
    ownPort = await freePort();
    log(`the NATS server at ${url} is ${version ?? 'of unknown version'}, older than ${NATS_MIN_VERSION}: starting one of our own on port ${ownPort}`);
  }
  const binary = findNatsServer() ?? fetchNats(log);
  const storeDir = join(dataDir, 'nats');
  log(`starting nats-server with JetStream (store: ${storeDir})`);
  const server = await NatsServer.start({ binary, port: ownPort, storeDir, logFile: join(dataDir, 'nats.log') });
  return { url: server.url, stop: () => server.stop() };
}

/** The version a NATS server announces, or undefined when it does not answer as one. */
async function serverVersion(url: string): Promise<string | undefined> {
  const nc = await connect({ servers: url, reconnect: false, timeout: 2000 }).catch(() => undefined);
  const version = nc?.info?.version;
  await nc?.close();
  return version;
}

/** No nats-server of production's line here: scripts/nats-server.sh fetches Debian's into .nats/ (no root needed). */
function fetchNats(log: (line: string) => void): string {
  log('no nats-server 2.10 or newer here: fetching Debian\'s into .nats/ (scripts/nats-server.sh)');
  const fetched = spawnSync('bash', [join(repoRoot, 'scripts', 'nats-server.sh')], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  const binary = findNatsServer();
  if (fetched.status !== 0 || !binary) {
    throw new Error('NATS is not running and no nats-server 2.10 or newer could be had: run scripts/nats-server.sh, install one, or set NATS_URL');
  }
  return binary;
}
