/**
 * `npm run bench`: starts the system as `npm start` does (its own data directory, port and
 * stream), measures each figure beside a baseline taken in the same run, prints the table
 * and writes the same figures as JSON to .bench-results/latest.json. BENCH_QUICK=1 for a
 * short run while developing. Ctrl-C stops the load and everything the run started.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { NatsServer } from '@ticketing/devkit/system/nats-server';
import { ApiUser, at } from '@ticketing/testkit/api-user';
import { BareServer, RawJetStream } from './baselines.js';
import { config } from './config.js';
import { TicketDatasets } from './datasets.js';
import { eventLag, ReplicaWatch } from './event-lag.js';
import { footprintFigures, idleMemory, memoryBreakdown, MemorySampler } from './footprint.js';
import { stopAllLoad } from './load.js';
import { memoryOf } from './process-tree.js';
import { purchases } from './purchases.js';
import { firstPage, frontDoorSummary, readPath } from './read-path.js';
import { formatTable, writeResults, type Figure } from './report.js';
import { scale } from './scale.js';
import { now, sleep } from './stats.js';
import { BenchSystem, resultsDir, systemSettings } from './system.js';

let natsUrl = process.env.NATS_URL ?? '';
const runId = randomBytes(4).toString('hex').toUpperCase();
const log = (line: string) => process.stderr.write(`bench | ${line}\n`);

/** Everything the run started, stopped in reverse on the way out (also on Ctrl-C or failure). */
const cleanups: (() => Promise<unknown> | unknown)[] = [];
let system: BenchSystem | undefined;
let cleaning: Promise<void> | undefined;

function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    stopAllLoad();
    for (const step of cleanups.reverse()) await Promise.resolve(step()).catch(() => {});
  })();
  return cleaning;
}

async function timed<T>(what: string, fn: () => Promise<T>): Promise<T> {
  log(`${what}...`);
  const started = now();
  const result = await fn();
  log(`${what}: ${((now() - started) / 1000).toFixed(1)} s`);
  return result;
}

async function main() {
  log(`${config.quick ? 'quick' : 'full'} run ${runId}; system output in .bench-results/system.log`);
  if (!natsUrl) {
    // A server of production's release line, of the run's own (the machine's may be older).
    const nats = await NatsServer.start({ storeDir: join(resultsDir, 'nats-store'), logFile: join(resultsDir, 'nats-server.log') });
    cleanups.push(() => nats.stop(), () => rmSync(join(resultsDir, 'nats-store'), { recursive: true, force: true }));
    natsUrl = nats.url;
  }
  const settings = await systemSettings(runId, natsUrl);
  BenchSystem.wipe(settings);
  BenchSystem.clearLog();
  cleanups.push(() => BenchSystem.wipe(settings), () => removeStream(settings.stream));

  // Start-up: the first start creates the data (and builds the client if needed); the warm
  // start after it is the one a developer sees every day.
  const first = await timed('npm start, first', () => BenchSystem.start(settings));
  system = first;
  await first.stop();
  system = await timed('npm start, warm', () => BenchSystem.start(settings));
  const running = system;
  cleanups.push(() => running.stop());
  await sleep(3000);
  const idle = await idleMemory(running.pid);

  const datasets = await TicketDatasets.connect(running.databaseUrl('tickets'));
  cleanups.push(() => datasets.close());
  await timed(`loading ${config.readTickets} tickets`, () => datasets.create('read', config.readTickets));
  await timed(`loading ${config.smallTickets} tickets`, () => datasets.create('small', config.smallTickets));
  await timed(`loading ${config.largeTickets} tickets`, () => datasets.create('large', config.largeTickets));
  await datasets.settle();

  await datasets.use('read');
  const bare = await BareServer.start(await firstPage(running.url));
  cleanups.push(() => bare.stop());
  const bareProcessMb = (memoryOf(bare.pid)?.rss ?? NaN) / 1024 / 1024;

  const figures: Figure[] = [];
  const details: Record<string, unknown> = {};
  const read = await timed('read path', () => readPath({ frontDoor: running.url, systemPid: running.pid, bare, datasets, config }));
  figures.push(...read.figures);
  details.readPath = read.details;
  const sizes = await timed('scale', () => scale({ frontDoor: running.url, datasets, config }));
  figures.push(...sizes.figures);
  details.scale = sizes.details;
  await datasets.use('live');

  const seller = await ApiUser.signUp(at(running.url));
  const watch = await ReplicaWatch.open(running.databaseUrl('orders'));
  cleanups.push(() => watch.close());
  const raw = await RawJetStream.open(natsUrl, runId);
  cleanups.push(() => raw.close());
  const lag = await timed('event lag', () => eventLag({ seller, watch, raw, databaseUrl: (service) => running.databaseUrl(service), config }));
  figures.push(...lag.figures);
  details.eventLag = lag.details;

  const sampler = new MemorySampler(running.pid);
  const buying = await timed('purchases', () =>
    purchases({
      frontDoor: running.url,
      systemPid: running.pid,
      bare,
      seller,
      databaseUrl: (service) => running.databaseUrl(service),
      config,
      during: sampler,
    }),
  );
  figures.push(...buying.figures);
  details.purchases = buying.details;

  figures.push(
    ...footprintFigures({
      idle,
      underLoad: sampler.peak ?? idle,
      bareProcessMb,
      coldStartMs: first.startMs,
      warmStartMs: running.startMs,
    }),
  );
  details.footprint = { idle, underLoad: sampler.peak };

  const table = formatTable(figures);
  const whereTimeGoes = [
    `Read path, CPU ms per request: ${breakdown(read.details.cpuMsPerRequest)}; bare route: ${breakdown(read.details.bareCpuMsPerRequest)}`,
    `Front door alternatives, each alone in front of the bare route, req/s (its CPU ms per request): ${frontDoorSummary(read.details.frontDoors)}`,
    `Event lag, p50 (p99) ms per hop: ${Object.entries(lag.details.hops)
      .map(([hop, t]) => `${hop} ${t.p50} (${t.p99})`)
      .join('; ')}`,
    `Purchases, CPU ms per purchase: ${breakdown(buying.details.cpuMsPerPurchase)}`,
    `Purchases, requests per purchase: ${buying.details.requestsPerPurchase.order} to order, ${buying.details.requestsPerPurchase.pay} to pay, ${buying.details.requestsPerPurchase.streams} order streams opened (complete is pushed)`,
    `Memory at idle, RSS (PSS) MB: ${memoryBreakdown(idle)}`,
    `Memory under purchase load, RSS (PSS) MB: ${memoryBreakdown(sampler.peak ?? idle)}`,
    `Scale, list query at ${config.largeTickets.toLocaleString('en-US')}: ${planSummary(sizes.details.planAtLarge)}`,
  ];
  const file = writeResults(resultsDir, {
    mode: config.quick ? 'quick' : 'full',
    runId,
    finishedAt: new Date().toISOString(),
    config,
    figures,
    details,
  });
  process.stdout.write(`\n${table}\n\nWhere the time goes:\n${whereTimeGoes.map((l) => `  ${l}`).join('\n')}\n\n`);
  log(`figures written to ${file}`);
}

/** The scan the list query uses and its execution time, from EXPLAIN ANALYZE. */
const planSummary = (plan: string) =>
  plan
    .split('\n')
    .filter((line) => /Scan|Sort|Execution Time/.test(line))
    .map((line) => line.replace(/^[\s>-]+/, '').replace(/\s*\(cost=[^)]*\)/, ''))
    .join('; ');

const breakdown = (byRole: Record<string, number>) =>
  Object.entries(byRole)
    .map(([role, ms]) => `${role} ${ms}`)
    .join(', ');

async function removeStream(stream: string) {
  const nc = await connect({ servers: natsUrl });
  try {
    await (await jetstreamManager(nc)).streams.delete(stream).catch(() => false);
  } finally {
    await nc.close();
  }
}

// Ctrl-C reaches npm and this process both, and npm passes it on too: the first one starts
// the clean-up, the repeats must not end the process halfway through it.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (cleaning) return;
    log('interrupted: stopping the load and the system');
    void cleanUp().finally(() => {
      log('stopped');
      process.exit(130);
    });
  });
}
// Last resort if the run dies some other way: nothing it started may outlive it.
process.on('exit', () => system?.kill());

main()
  .then(() => cleanUp())
  .then(() => process.exit(0))
  .catch(async (err: unknown) => {
    log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    await cleanUp();
    process.exit(1);
  });
