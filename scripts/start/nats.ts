import { spawnSync } from 'node:child_process';
import { connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { busDefaults } from '@ticketing/contracts';
import { findNatsServer, NatsServer } from '@ticketing/devkit/system/nats-server';

/** NATS for `npm start`: NATS_URL, a server already on 4222, or one we start (installing it if we can). */
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
  if (process.env.NATS_URL) return { url: process.env.NATS_URL, stop: async () => {} };
  const { hostname, port } = new URL(busDefaults.url);
  const url = `nats://${hostname}:${port}`;
  if (await portAnswers(hostname, Number(port))) {
    log(`using the NATS server already running at ${url}`);
    return { url, stop: async () => {} };
  }
  const binary = findNatsServer() ?? installNats(log);
  const storeDir = join(dataDir, 'nats');
  log(`starting nats-server with JetStream (store: ${storeDir})`);
  const server = await NatsServer.start({ binary, port: Number(port), storeDir, logFile: join(dataDir, 'nats.log') });
  return { url: server.url, stop: () => server.stop() };
}

function installNats(log: (line: string) => void): string {
  const command = 'apt-get install -y nats-server';
  const onPath = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
  if (process.getuid?.() !== 0 || !onPath('apt-get')) {
    throw new Error(`NATS is not running and nats-server is not installed. Install it (Debian/Ubuntu: sudo ${command}) or set NATS_URL.`);
  }
  log(`nats-server is not installed: installing Debian's package (${command})`);
  const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  const install = spawnSync('apt-get', ['install', '-y', '-qq', 'nats-server'], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  const binary = findNatsServer();
  if (update.status !== 0 || install.status !== 0 || !binary) {
    throw new Error(`could not install nats-server (${command}); install it or set NATS_URL`);
  }
  return binary;
}
