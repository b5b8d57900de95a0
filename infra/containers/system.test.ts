/**
 * The images and the whole system as containers (setup.ts built and started them): what each
 * image promises, one purchase through the front door, the dead-letter command in the images,
 * a graceful stop, and a dev image's reload of a synced file.
 */
import { request } from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiUser } from '@ticketing/testkit/api-user';
import { describe, expect, inject, it } from 'vitest';
import { Engine } from './engine.js';
import { testRef } from './images.js';
import { imageFor } from './setup.js';
import { ContainerSystem } from './system.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const engine = new Engine(inject('engine'), join(root, '.test-results', 'containers', 'engine.log'));
const system = new ContainerSystem(engine, inject('prefix'), imageFor);
const specs = inject('specs');
const frontDoor = inject('frontDoor');
const apps = specs.filter((s) => s.image.startsWith('ticketing/'));
const specOf = (workload: string) => specs.find((s) => s.workload === workload)!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(300);
  }
}

describe('the images', () => {
  it('when every image is inspected, then none runs as root, dev stages included', async () => {
    for (const image of inject('images')) {
      const user = await engine.cmd('image', 'inspect', '--format', '{{.Config.User}}', image.ref);
      expect({ image: image.ref, user }).toEqual({ image: image.ref, user: expect.not.stringMatching(/^(|root|0)(:.*)?$/) });
    }
  });
});

describe('the system in containers', () => {
  it('when every container runs, then none is root and none can write to its root filesystem', async () => {
    for (const spec of specs) {
      const probe = await engine.try('exec', system.containerName(spec.workload), 'sh', '-c', 'id -u; touch /probe-write 2>&1 || echo read-only');
      const [uid, write] = probe.stdout.trim().split('\n');
      expect({ workload: spec.workload, root: uid === '0', write }).toEqual({ workload: spec.workload, root: false, write: expect.stringMatching(/Read-only file system/) });
    }
  });

  it('when each service and the client are asked, then health and readiness answer 200', async () => {
    for (const spec of apps) {
      const port = await system.hostPort(spec.workload, spec.ports.http ?? 3000);
      const ready = await fetch(`http://127.0.0.1:${port}${spec.readinessPath?.path ?? '/'}`);
      expect({ workload: spec.workload, status: ready.status }).toEqual({ workload: spec.workload, status: 200 });
      if (spec.workload !== 'client') expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    }
  });

  it('when a buyer signs up, a seller sells, and the buyer orders and pays through the front door, then the order completes and the ticket is theirs', async () => {
    const via = (path: string) => `${frontDoor}${path}`;
    const seller = await ApiUser.signUp(via);
    const buyer = await ApiUser.signUp(via);
    const ticket = await seller.expect(201, 'POST', '/api/tickets', { title: 'Containers live', price: 25 });
    // The ticket reaches orders as an event before it can be ordered.
    let order: { id: string } | undefined;
    await until('the ticket to be orderable', async () => {
      const res = await buyer.post('/api/orders', { ticketId: ticket.id });
      if (res.status === 201) order = res.body;
      return res.status === 201;
    });
    await until('the order to be payable', async () => (await buyer.post('/api/payments', { orderId: order!.id, token: 'tok_visa' })).status === 201);
    await until('the order to complete', async () => (await buyer.get(`/api/orders/${order!.id}`)).body?.status === 'complete');
    const page = await fetch(`${frontDoor}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
  });

  it("when an operator runs the dead-letter command inside each service's container with NATS's admin seed, then it reads the system's stream (and, after a clean purchase, finds nothing to replay); with the service's own seed, NATS refuses it", async () => {
    const admin = ['-e', `NATS_NKEY_SEED=${inject('natsAdminSeed')}`];
    for (const workload of ['auth', 'tickets', 'orders', 'expiration', 'payments']) {
      const run = await engine.try('exec', ...admin, system.containerName(workload), 'node', '/app/common/dist/bin/dead-letters.js', 'list', '--json');
      expect({ workload, code: run.code, stderr: run.stderr, letters: run.stdout.trim() }).toEqual({ workload, code: 0, stderr: '', letters: '[]' });
    }
    const ownSeed = await engine.try('exec', system.containerName('tickets'), 'node', '/app/common/dist/bin/dead-letters.js', 'list');
    expect(ownSeed.code).not.toBe(0);
    expect(ownSeed.stderr).toMatch(/permission/i);
    const refused = await engine.try('exec', ...admin, system.containerName('tickets'), 'node', '/app/common/dist/bin/dead-letters.js', 'replay');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('name the dead letters');
  });

  it('when a synced source file changes in a running dev image, then the service restarts on it and is ready again', async () => {
    const spec = { ...specOf('tickets'), workload: 'tickets-dev', aliases: [], readOnlyRoot: false };
    await system.run(spec, testRef('ticketing/tickets', 'dev'));
    await system.waitReady(spec);
    const name = system.containerName('tickets-dev');
    const changed = join(root, '.test-results', 'containers', 'app.ts');
    writeFileSync(changed, `${readFileSync(join(root, 'tickets', 'src', 'app.ts'), 'utf8')}\n// changed by the container test\n`);
    // What `skaffold dev` does for a sync rule: the file copied into the running container.
    await engine.cmd('cp', changed, `${name}:/app/tickets/src/app.ts`);
    await until('the restart', async () => /Restarting 'src\/main\.ts'/.test(await system.logs('tickets-dev')));
    await until('a second start', async () => ((await system.logs('tickets-dev')).match(/tickets listening/g) ?? []).length >= 2);
    await system.waitReady(spec);
  });

  it('when a service gets SIGTERM with a request in flight, then it answers that request, stops within its grace period and exits 0', async () => {
    const spec = specOf('tickets');
    const name = system.containerName('tickets');
    const port = await system.hostPort('tickets', spec.ports.http ?? 3000);
    const signup = await fetch(`${frontDoor}/api/users/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: `stopping-${Date.now()}@example.com`, password: 'correct horse battery' }),
    });
    const cookie = signup.headers.getSetCookie().find((c) => c.startsWith('session='))!.split(';')[0]!;
    const body = JSON.stringify({ title: 'Sold while stopping', price: 30 });
    // Half the body now, the rest after SIGTERM: the request is surely in flight when it arrives.
    const answered = new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/api/tickets', headers: { cookie, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write(body.slice(0, 10));
      setTimeout(() => req.end(body.slice(10)), 1500);
    });
    await sleep(300);
    const stopped = Date.now();
    await engine.cmd('kill', '--signal', 'TERM', name);
    expect(await answered).toBe(201);
    await until('the container to exit', async () => (await engine.cmd('inspect', '--format', '{{.State.Status}}', name)) === 'exited', spec.gracePeriodSeconds * 1000);
    expect(Date.now() - stopped).toBeLessThan(spec.gracePeriodSeconds * 1000);
    expect(await engine.cmd('inspect', '--format', '{{.State.ExitCode}}', name)).toBe('0');
    expect(await system.logs('tickets')).toMatch(/"msg":"stopped"/);
  });
});
