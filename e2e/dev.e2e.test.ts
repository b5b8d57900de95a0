import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { freePort } from '@ticketing/devkit/free-port';
import { NpmStart } from '@ticketing/devkit/system/npm-start';
import { descendants } from '@ticketing/devkit/system/process-tree';
import { repoRoot, SERVICES, type ServiceName } from '@ticketing/devkit/system/services';
import { eventually, NATS_URL } from '@ticketing/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * `npm run dev`, the development loop: each service under tsx watch, the client under next dev,
 * behind the same front door. A file's modification time is changed (never its content), as a
 * save does, and the services that import it, and only those, restart.
 */
const run = randomBytes(4).toString('hex');
const folder = mkdtempSync(join(tmpdir(), 'ticketing-dev-'));
chmodSync(folder, 0o755); // as root, PostgreSQL runs as its own user, who must reach its data
const env = { NATS_URL, NATS_STREAM: `E2E_DEV_${run}`, NATS_SUBJECT_PREFIX: `dev${run}.`, LOG_LEVEL: 'warn' };

let dev: NpmStart;
let base: string;
beforeAll(async () => {
  dev = await NpmStart.start({
    command: ['npm', 'run', 'dev'],
    port: await freePort(),
    dataDir: join(folder, 'data'),
    env,
    logFile: join(repoRoot, '.test-results', 'e2e', `dev-${run}.log`),
  });
  base = `http://localhost:${dev.port}`;
}, 300_000);
afterAll(async () => {
  await dev?.stop();
  const nc = await connect({ servers: NATS_URL });
  await (await jetstreamManager(nc)).streams.delete(env.NATS_STREAM).catch(() => false);
  await nc.close();
  rmSync(folder, { recursive: true, force: true });
}, 60_000);

/** The process running each service's main.ts (tsx watch's child, not tsx watch itself), by its folder. */
function servicePids(): Partial<Record<ServiceName, number>> {
  const found: Partial<Record<ServiceName, number>> = {};
  for (const pid of descendants(dev.pid)) {
    try {
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (args.includes('src/main.ts') && !args.includes('watch')) found[basename(readlinkSync(`/proc/${pid}/cwd`)) as ServiceName] = pid;
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** Saved, as far as a watcher can tell: a new modification time, the same content. */
function touch(file: string) {
  const path = join(repoRoot, file);
  utimesSync(path, statSync(path).atime, new Date());
}

const log = () => readFileSync(dev.logFile, 'utf8');

/** Which services tsx watch restarted in `output`, by the line it prints behind each one's name. */
const restartedIn = (output: string) => SERVICES.filter((s) => new RegExp(`^${s} *\\| .*\\[tsx\\] change in .* Restarting`, 'm').test(output));

/** Until the API answers through the front door again: the tickets list, and orders asking who is there. */
async function apiAnswers() {
  await eventually(async () => (await fetch(`${base}/api/tickets`)).status === 200, { what: 'GET /api/tickets 200', timeoutMs: 60_000 });
  await eventually(async () => (await fetch(`${base}/api/orders`)).status === 401, { what: 'GET /api/orders 401', timeoutMs: 60_000 });
}

describe('npm run dev', () => {
  it('when it has started, then it says it is the development loop, and next dev serves the pages through the front door, with its hot reload socket', async () => {
    expect(log()).toContain('development loop: each service restarts when a file it imports changes (its src/, common/src/, contracts/src/)');

    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain('<html');

    // The dev server's own socket (a production build has none), as the page's script opens it.
    const hmr = new WebSocket(`ws://localhost:${dev.port}/_next/hmr?id=e2e-${run}`);
    const first = await Promise.race([once(hmr, 'message') as Promise<[MessageEvent]>, once(hmr, 'close').then(() => [undefined])]);
    hmr.close();
    expect(JSON.parse(String(first[0]?.data))).toHaveProperty('type');
  }, 120_000);

  it('when a file only orders imports is saved, then orders restarts and no other service does; the API answers again', async () => {
    const before = servicePids();
    expect(Object.keys(before).sort()).toEqual([...SERVICES].sort());
    const logged = log().length;

    touch('orders/src/routes/create-order.ts');

    await eventually(() => servicePids().orders !== undefined && servicePids().orders !== before.orders, { what: 'a new orders process', timeoutMs: 60_000, intervalMs: 250 });
    await apiAnswers();
    // A restart the others would have begun by now, had the file been theirs.
    await new Promise((r) => setTimeout(r, 2_000));
    const after = servicePids();
    for (const service of SERVICES.filter((s) => s !== 'orders')) expect({ service, pid: after[service] }).toEqual({ service, pid: before[service] });
    expect(restartedIn(log().slice(logged))).toEqual(['orders']);
  }, 180_000);

  it('when a file of common every service imports is saved, then all five restart; the API answers again', async () => {
    const before = servicePids();
    const logged = log().length;

    touch('common/src/service/create-app.ts');

    await eventually(
      () => {
        const now = servicePids();
        return SERVICES.every((s) => now[s] !== undefined && now[s] !== before[s]);
      },
      { what: 'a new process for every service', timeoutMs: 90_000, intervalMs: 250 },
    );
    await apiAnswers();
    expect(restartedIn(log().slice(logged))).toEqual([...SERVICES]);
  }, 180_000);
});
