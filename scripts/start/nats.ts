import { spawnSync } from 'node:child_process';
import { connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { busDefaults } from '@ticketing/contracts';
import { freePort } from '@ticketing/devkit/free-port';
import type { NatsIdentity } from '@ticketing/devkit/system/nats-auth';
import { natsCredentials } from '@ticketing/devkit/system/nats-credentials';
import { findNatsServer, isSupportedNatsVersion, NATS_MIN_VERSION, NatsServer } from '@ticketing/devkit/system/nats-server';
import { repoRoot } from '@ticketing/devkit/system/services';

/**
 * NATS for `npm start`: NATS_URL (a server of the developer's own, used as it is), or one we
 * start with users and permissions (fetching Debian's into .nats/ when there is none). Ours
 * refuses anonymous connections: each service and the explorer get their own seed (`seeds`),
 * kept in .data/nats-auth/ between runs. A server already on 4222 is not used (it would let
 * anyone in); ours then takes another port.
 */
export interface NatsHandle {
  url: string;
  /** Each identity's nkey seed; undefined for a server given by NATS_URL. */
  seeds?: Record<NatsIdentity, string>;
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
    ownPort = await freePort();
    log(`port ${port} is taken (${url} is not one with this system's users): starting our own NATS on port ${ownPort}`);
  }
  const binary = findNatsServer() ?? fetchNats(log);
  const storeDir = join(dataDir, 'nats');
  const { keys, configFile } = natsCredentials(join(dataDir, 'nats-auth'), {
    stream: process.env.NATS_STREAM || busDefaults.stream,
    subjectPrefix: process.env.NATS_SUBJECT_PREFIX ?? busDefaults.subjectPrefix,
  });
  log(`starting nats-server with JetStream and a user per service (store: ${storeDir})`);
  const server = await NatsServer.start({ binary, port: ownPort, storeDir, logFile: join(dataDir, 'nats.log'), configFile, probeSeed: keys.admin.seed });
  const seeds = Object.fromEntries(Object.entries(keys).map(([id, key]) => [id, key.seed])) as Record<NatsIdentity, string>;
  return { url: server.url, seeds, stop: () => server.stop() };
}

/**
 * On NATS_URL's server the stream outlives `.data/`: a new system (its databases just made) would
 * find an earlier one's events there, shown in the explorer and still pending for the durable
 * consumers, about tickets and orders its databases never had. It starts from an empty stream
 * instead (the services create it again). The stream is this system's (`NATS_STREAM`), never
 * another on the server.
 */
export async function dropEarlierStream(url: string, log: (line: string) => void): Promise<void> {
  const stream = process.env.NATS_STREAM || busDefaults.stream;
  const nc = await connect({ servers: url, reconnect: false, timeout: 5000 }).catch((err: unknown) => {
    log(`could not ask ${url} about stream ${stream} (${err instanceof Error ? err.message : String(err)}): an earlier system's events may still be in it`);
  });
  if (!nc) return;
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(stream).catch(() => undefined);
    if (!info) return;
    await jsm.streams.delete(stream);
    log(`new databases: stream ${stream} on ${url} held ${info.state.messages} events of an earlier system; it starts again empty`);
  } finally {
    await nc.close();
  }
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
