import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fstatSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { join } from 'node:path';

/** NATS for `npm start`: NATS_URL, a server already on 4222, or one we start (installing it if we can). */
export interface NatsHandle {
  url: string;
  stop(): Promise<void>;
}

const LOCAL = { host: '127.0.0.1', port: 4222 };

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

const onPath = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

export async function ensureNats(dataDir: string, log: (line: string) => void): Promise<NatsHandle> {
  if (process.env.NATS_URL) return { url: process.env.NATS_URL, stop: async () => {} };
  const url = `nats://${LOCAL.host}:${LOCAL.port}`;
  if (await portAnswers(LOCAL.host, LOCAL.port)) {
    log(`using the NATS server already running at ${url}`);
    return { url, stop: async () => {} };
  }
  if (!onPath('nats-server')) installNats(log);
  const store = join(dataDir, 'nats');
  mkdirSync(store, { recursive: true });
  const logFile = join(dataDir, 'nats.log');
  const out = openSync(logFile, 'a');
  const logStart = fstatSync(out).size;
  log(`starting nats-server with JetStream (store: ${store})`);
  const child: ChildProcess = spawn(
    'nats-server',
    ['-js', '-a', LOCAL.host, '-p', String(LOCAL.port), '-sd', store],
    { stdio: ['ignore', out, out] },
  );
  for (let i = 0; i < 100 && !(await portAnswers(LOCAL.host, LOCAL.port)); i++) {
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!(await portAnswers(LOCAL.host, LOCAL.port))) {
    child.kill('SIGKILL');
    // Its own words from this start: the last lines it logged.
    const said = readFileSync(logFile).subarray(logStart).toString().trim().split('\n').slice(-5).join('\n');
    throw new Error(`nats-server did not start (log: ${logFile}):\n${said || 'no output'}`);
  }
  return {
    url,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

function installNats(log: (line: string) => void) {
  const command = 'apt-get install -y nats-server';
  if (process.getuid?.() !== 0 || !onPath('apt-get')) {
    throw new Error(`NATS is not running and nats-server is not installed. Install it (Debian/Ubuntu: sudo ${command}) or set NATS_URL.`);
  }
  log(`nats-server is not installed: installing Debian's package (${command})`);
  const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  const install = spawnSync('apt-get', ['install', '-y', '-qq', 'nats-server'], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (update.status !== 0 || install.status !== 0 || !onPath('nats-server')) {
    throw new Error(`could not install nats-server (${command}); install it or set NATS_URL`);
  }
}
