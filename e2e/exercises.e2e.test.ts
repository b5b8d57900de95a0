import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { consumerName } from '@ticketing/contracts';
import { freePort } from '@ticketing/devkit/free-port';
import { NatsServer } from '@ticketing/devkit/system/nats-server';
import { repoRoot } from '@ticketing/devkit/system/services';
import { eventually, metricValue } from '@ticketing/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFrontDoor, type Upstreams } from '../scripts/start/front-door.js';
import { readBus } from './chaos/invariants.js';
import { ChaosPostgres } from './chaos/postgres.js';
import { RunningSystem, type ServiceName } from './system.js';

/**
 * The guide's Kubernetes exercises (docs/guide/21-kubernetes-exercises.md) on this machine:
 * scripts/exercises/buy.sh, the script a learner runs against a cluster, run as it is against
 * the whole system behind npm start's front door, while what the cluster does to pods is done
 * to processes: orders SIGKILLed and started again (a deleted pod), a second orders beside the
 * first (a replica), NATS and PostgreSQL restarted on their stores (StatefulSet pods on their
 * volumes), a new orders started, the front door moved to it and the old one sent SIGTERM (a
 * rolling update). The system has a NATS server and a PostgreSQL of its own, so restarting them
 * disturbs no other test. The cases run in order on the one system.
 */
const BUY = join(repoRoot, 'scripts', 'exercises', 'buy.sh');
/** The line buy.sh prints for a purchase that went through. */
const COMPLETE = /^order [0-9a-f-]{36}: placed 201, paid 201, complete$/;
/** Nothing listens there: buy.sh never asks for a page of the web client. */
const NO_CLIENT = 9;

let dir: string;
let nats: NatsServer;
let postgres: ChaosPostgres;
let system: RunningSystem;
let door: MovingFrontDoor;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ticketing-exercises-'));
  nats = await NatsServer.start({ storeDir: join(dir, 'nats'), logFile: join(dir, 'nats.log') });
  postgres = await ChaosPostgres.start();
  system = await RunningSystem.start({ natsUrl: nats.url, databaseAdminUrl: postgres.adminUrl, readyTimeoutMs: 60_000 });
  door = await MovingFrontDoor.open({ ...system.ports, client: NO_CLIENT });
}, 180_000);

afterAll(async () => {
  await door?.close();
  await system?.stop();
  await nats?.stop();
  await postgres?.remove();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('scripts/exercises/buy.sh against the whole system', () => {
  it('when three purchases are made two at a time, then each prints its line, the run its summary, and each order is complete in the database', async () => {
    const run = await buy('--count', '3', '--parallel', '2').done;

    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines.slice(0, 3)).toEqual([expect.stringMatching(COMPLETE), expect.stringMatching(COMPLETE), expect.stringMatching(COMPLETE)]);
    expect(lines[3]).toBe('3 purchases, all complete');
    expect(await orderStatuses(orderIds(run.stdout))).toEqual(['complete', 'complete', 'complete']);
  });

  it('when the answers to the order and to the payment are lost though both went through, then buy.sh sends them again, finds the order, and the purchase completes', async () => {
    door.loseNextAnswer('POST', '/api/orders');
    door.loseNextAnswer('POST', '/api/payments');

    const run = await buy().done;

    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^order [0-9a-f-]{36}: placed 409, paid 400, complete\n1 purchase, all complete\n$/);
    expect(run.stderr).toContain('  502 on /api/orders, again');
    expect(run.stderr).toContain('  502 on /api/payments, again');
    expect(await orderStatuses(orderIds(run.stdout))).toEqual(['complete']);
  });

  it('when a purchase cannot complete (payments is down past --timeout), then it exits 1 and says which order and why', async () => {
    await system.kill('payments');
    try {
      const run = await buy('--timeout', '8').done;

      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/^order [0-9a-f-]{36}: placed 201, paid 502, created\n1 purchase, 0 complete, 1 not\n$/);
      expect(run.stderr).toContain('  502 on /api/payments, again');
      expect(run.stderr).toMatch(/order [0-9a-f-]{36} did not complete within 8 s \(placed 201, paid 502, last GET 200\)/);
    } finally {
      await system.startService('payments');
    }
  });

  it('when nothing answers at --url, then it exits 2 at once and says so', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;

    const run = await buy('--url', url).done;

    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`nothing answers at ${url}`);
  });
});

describe('exercise 1, self-healing: orders killed during purchases and started again', () => {
  it('when orders is SIGKILLed mid-purchase and comes back, then buy.sh says what it sent again and every purchase completes, each paid once', async () => {
    const before = await count('orders', 'select count(*) from orders');
    const buying = buy('--count', '4', '--parallel', '4');
    await eventually(async () => (await count('orders', 'select count(*) from orders')) > before, { what: 'an order taken', timeoutMs: 30_000 });

    await system.kill('orders');
    // Down until a purchase has met the outage (a ReplicaSet's replacement takes seconds too).
    await eventually(() => /50[234] on \/api\/(orders|payments)/.test(buying.stderr()), { what: 'buy.sh to meet the outage', timeoutMs: 20_000 });
    await system.startService('orders');
    const run = await buying.done;

    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('4 purchases, all complete');
    const ids = orderIds(run.stdout);
    expect(await orderStatuses(ids)).toEqual(['complete', 'complete', 'complete', 'complete']);
    expect(await count('payments', `select count(*) from payments where order_id in (${ids.map((id) => `'${id}'`).join(', ')})`)).toBe(4);
  });
});

describe('exercise 2, scaling: a second orders process on the same database and stream', () => {
  it('when twelve purchases run with two orders processes, then the two share their ticket.created events, twelve handled between them and none twice, through one durable consumer', async () => {
    const second = await system.startReplica('orders');
    const metricsUrls = [system.metricsUrl('orders'), second.metricsUrl];
    /** Each process's count of ticket.created events with that result, since it started. */
    const counted = (result: 'handled' | 'duplicate') =>
      Promise.all(metricsUrls.map(async (url) => metricValue(await (await fetch(`${url}/metrics`)).text(), 'events_handled_total', { subject: 'ticket.created', result })));
    const [handledBefore, duplicatesBefore] = [await counted('handled'), await counted('duplicate')];

    const run = await buy('--count', '12', '--parallel', '4').done;

    expect(run.code, run.stderr).toBe(0);
    const handled = await eventually(
      async () => {
        const each = (await counted('handled')).map((n, i) => n - handledBefore[i]!);
        return each[0]! + each[1]! === 12 && each;
      },
      { what: 'twelve ticket.created handled', timeoutMs: 5000 },
    );
    expect(handled.every((n) => n > 0), `spread over the two: ${handled.join(' and ')}`).toBe(true);
    expect(await counted('duplicate')).toEqual(duplicatesBefore);
    const consumers = (await readBus(system)).consumers.map((c) => c.name);
    expect(consumers.filter((name) => name === consumerName('orders', 'ticket.created'))).toHaveLength(1);
    await second.stop();
  });
});

describe('exercise 4, storage: NATS and PostgreSQL restarted on their stores', () => {
  it('when both restart at once, then the orders, tickets, consumers and events are all still there, no service restarted, and purchases go on', async () => {
    expect((await buy('--count', '2', '--parallel', '2').done).code).toBe(0);
    const before = await eventually(settledState, { what: 'every consumer to have caught up', timeoutMs: 30_000 });

    await Promise.all([nats.restart('SIGTERM'), postgres.restart(1000)]);
    await eventually(everyServiceReady, { what: 'every service ready again', timeoutMs: 60_000 });

    const after = await storedState();
    expect(after.orders).toEqual(before.orders);
    expect(after.tickets).toEqual(before.tickets);
    expect(after.consumers).toEqual(before.consumers);
    expect(after.events).toBe(before.events);
    expect(system.exitedByThemselves()).toEqual([]);
    const run = await buy().done;
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.split('\n')[0]).toMatch(COMPLETE);
  });
});

// Last: afterwards orders runs outside the RunningSystem, as the replica started here.
describe('exercise 3, a rolling update: a new orders first, then the old one stopped (SIGTERM)', () => {
  it('when the front door moves to a new orders and the old one drains during purchases, then no request to orders fails and every purchase completes', async () => {
    const log = join(system.logDir, 'orders.log');
    const stopsBefore = stops(log);
    const before = await count('orders', 'select count(*) from orders');
    // The new one ready first, as maxUnavailable 0 has it; the Service does not route to it yet.
    const next = await system.startReplica('orders');
    const buying = buy('--count', '24', '--parallel', '3');
    await eventually(async () => (await count('orders', 'select count(*) from orders')) > before, { what: 'an order taken', timeoutMs: 30_000 });

    door.route({ ...system.ports, orders: next.port, client: NO_CLIENT });
    system.signal('orders', 'SIGTERM');
    await eventually(() => stops(log) > stopsBefore, { what: 'the old orders to log "stopped"', timeoutMs: 30_000 });
    expect(buying.running(), 'the purchases ended before the old orders had stopped: make more').toBe(true);
    const run = await buying.done;

    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('24 purchases, all complete');
    expect(run.stderr).not.toMatch(/(5\d\d|000) on /);
    expect(readFileSync(log, 'utf8')).not.toContain('shutdown took too long');
  });
});

/** buy.sh at the front door, running; `stderr()` is what it has said so far. */
function buy(...args: string[]) {
  const child = spawn('bash', [BUY, ...(args.includes('--url') ? [] : ['--url', door.url]), ...args], { env: process.env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once('close', (code) => resolve({ code, stdout, stderr })),
  );
  return { done, stderr: () => stderr, running: () => child.exitCode === null };
}

const orderIds = (stdout: string) => [...stdout.matchAll(/^order ([0-9a-f-]{36}):/gm)].map((m) => m[1]!);

async function rows(service: ServiceName, sql: string) {
  const client = new pg.Client({ connectionString: system.databaseUrl(service) });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

const count = async (service: ServiceName, sql: string) => Number((await rows(service, sql))[0].count);

async function orderStatuses(ids: string[]) {
  const found = await rows('orders', `select id, status from orders where id in (${ids.map((id) => `'${id}'`).join(', ')})`);
  return ids.map((id) => found.find((r) => r.id === id)?.status);
}

/** What the volumes keep: every order and ticket, every consumer with its position, the stream's events. */
async function storedState() {
  const bus = await readBus(system);
  return {
    orders: await rows('orders', 'select id, status, version from orders order by id'),
    tickets: await rows('tickets', 'select id, version, order_id from tickets order by id'),
    consumers: bus.consumers.map((c) => c.name).sort(),
    events: bus.events,
    caughtUp: bus.consumers.every((c) => c.pending === 0 && c.ackPending === 0),
  };
}

/** The stored state once no event is left to handle, so nothing changes it but the restart. */
const settledState = async () => {
  const state = await storedState();
  return state.caughtUp && state;
};

const everyServiceReady = async () =>
  (await Promise.all(system.services.map((s) => fetch(`${system.url(s)}/readyz`).then((r) => r.ok, () => false)))).every(Boolean);

/** How many times a service's log says it stopped in order. */
const stops = (log: string) => readFileSync(log, 'utf8').split('\n').filter((line) => line.includes('"msg":"stopped"')).length;

/**
 * npm start's front door, whose upstreams can change while it serves, as a Service's endpoints
 * do: each new request goes to the latest route; requests in flight finish where they went.
 */
class MovingFrontDoor {
  private readonly doors: http.Server[] = [];
  private readonly server = http.createServer((req, res) => {
    const lost = this.lost.findIndex((l) => l.method === req.method && l.path === req.url);
    if (lost === -1) return void this.doors.at(-1)!.emit('request', req, res);
    this.lost.splice(lost, 1);
    void this.passOnAndLoseAnswer(req, res);
  });
  private lost: { method: string; path: string }[] = [];
  private port = 0;

  static async open(upstreams: Upstreams): Promise<MovingFrontDoor> {
    const door = new MovingFrontDoor();
    door.route(upstreams);
    door.port = await freePort();
    await new Promise<void>((resolve) => door.server.listen(door.port, '127.0.0.1', resolve));
    return door;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  route(upstreams: Upstreams): void {
    this.doors.push(createFrontDoor(upstreams));
  }

  /** The next request to `path` goes through, but its answer is a 502: a connection cut on the way back. */
  loseNextAnswer(method: string, path: string): void {
    this.lost.push({ method, path });
  }

  private async passOnAndLoseAnswer(req: http.IncomingMessage, res: http.ServerResponse) {
    const body = await buffer(req);
    const headers = { cookie: req.headers.cookie ?? '', 'content-type': req.headers['content-type'] ?? '' };
    await fetch(`${this.url}${req.url}`, { method: req.method, headers, body });
    res.writeHead(502).end();
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
    for (const d of this.doors) d.close();
  }
}
