/**
 * The client's hot reload under `skaffold dev`: Next's dev server serves its dev resources
 * only to the origins it allows, and the front door must pass the WebSocket upgrade of
 * /_next/webpack-hmr through. The second runs the real nginx.conf in Debian's nginx, in front
 * of a small upgrade-answering server standing in for `next dev`, and checks that it tells the
 * services the host a browser asked for.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '@ticketing/devkit/free-port';
import { Workspace, type K8sObject } from './support/kustomize.js';
import { fixturesDir, read } from './support/repo.js';

/** The client's next.config.ts as Next calls it. (Loaded at run time: it is the client's own TypeScript, compiled under the client's settings, not infra's.) */
type NextConfigFn = (phase: string) => { allowedDevOrigins?: string[] };
const { default: config } = (await import(/* @vite-ignore */ new URL('../../client/next.config.ts', import.meta.url).href)) as { default: NextConfigFn };
// Next's PHASE_DEVELOPMENT_SERVER and PHASE_PRODUCTION_SERVER (next/constants).
const PHASE_DEVELOPMENT_SERVER = 'phase-development-server';
const PHASE_PRODUCTION_SERVER = 'phase-production-server';

describe("next dev's allowed origins", () => {
  const workspace = new Workspace();
  afterAll(() => workspace.remove());
  /** Every host a browser reaches the dev client through: the HTTPRoutes' names, and localhost (the port-forwarded front door). */
  const devHosts = () => [
    'localhost',
    ...workspace
      .overlay('dev')
      .filter((o: K8sObject) => o.kind === 'HTTPRoute')
      .flatMap((o) => ((o as K8sObject & { spec: { hostnames?: string[] } }).spec.hostnames ?? [])),
  ];

  it('when next dev starts, then it allows every host the dev setup is reached through, and a production server carries no list', () => {
    const allowed = config(PHASE_DEVELOPMENT_SERVER).allowedDevOrigins ?? [];
    expect(devHosts()).toContain('ticketing.local');
    expect(devHosts().filter((h) => !allowed.includes(h))).toEqual([]);
    expect(config(PHASE_PRODUCTION_SERVER).allowedDevOrigins).toBeUndefined();
  });
});

describe('the front door and WebSocket upgrades', () => {
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  const servers: Server[] = [];
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    for (const s of servers) s.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  /** A stand-in for next dev: answers an upgrade with 101 and echoes what follows. */
  async function upgradeServer(): Promise<number> {
    const port = await freePort();
    const server = createServer((_req, res) => res.end('plain'));
    server.on('upgrade', (req, socket) => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
      socket.on('data', (chunk) => socket.write(chunk));
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    servers.push(server);
    return port;
  }

  /** nginx with `conf`, its listen port and upstreams pointed at this machine. */
  async function frontDoor(conf: string, upstreamPort: number): Promise<number> {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'front-door-'));
    dirs.push(dir);
    // Its own pid file (the fixture names none), port and upstreams.
    const withPid = /^pid /m.test(conf) ? conf : `pid /tmp/nginx.pid;\n${conf}`;
    const local = withPid
      .replace(/listen 8080;/, `listen 127.0.0.1:${port};`)
      .replace(/http:\/\/(auth|tickets|orders|payments|client):3000/g, `http://127.0.0.1:${upstreamPort}`)
      .replaceAll('/tmp/', `${dir}/`);
    writeFileSync(join(dir, 'nginx.conf'), local);
    const nginx = spawn('nginx', ['-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: 'ignore' });
    children.push(nginx);
    for (let i = 0; i < 100; i++) {
      if (await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false)) return port;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('nginx did not start');
  }

  /** A hot-reload upgrade through the front door: the status line, and what came back after "ping". */
  function tryUpgrade(port: number): Promise<{ status: string; echoed: string }> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let text = '';
      socket.on('error', reject);
      socket.write('GET /_next/webpack-hmr HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
      socket.on('data', (chunk) => {
        text += chunk.toString();
        if (/^HTTP\/1\.1 101/.test(text) && text.includes('\r\n\r\n') && !text.endsWith('ping')) socket.write('ping');
        if (!/^HTTP\/1\.1 101/.test(text) || text.endsWith('ping')) {
          socket.destroy();
          resolve({ status: text.split('\r\n')[0]!, echoed: text.endsWith('ping') ? 'ping' : '' });
        }
      });
    });
  }

  it('when a hot-reload WebSocket comes through the front door, then nginx passes the upgrade through and the socket carries data both ways', async () => {
    const port = await frontDoor(read('infra/k8s/components/front-door/nginx.conf'), await upgradeServer());
    expect(await tryUpgrade(port)).toEqual({ status: 'HTTP/1.1 101 Switching Protocols', echoed: 'ping' });
  });

  it('when a browser writes through the front door, then the service is told the host with its port, which the page\'s Origin names', async () => {
    let seen: Record<string, string | string[] | undefined> = {};
    const upstream = createServer((req, res) => {
      seen = req.headers;
      res.end('{}');
    });
    const upstreamPort = await freePort();
    await new Promise<void>((resolve) => upstream.listen(upstreamPort, '127.0.0.1', resolve));
    servers.push(upstream);
    const port = await frontDoor(read('infra/k8s/components/front-door/nginx.conf'), upstreamPort);

    await fetch(`http://127.0.0.1:${port}/api/orders`, { method: 'POST', headers: { origin: `http://127.0.0.1:${port}` } });

    // nginx's Host is the name alone; X-Forwarded-Host keeps the port the page was served from.
    expect(seen['x-forwarded-host']).toBe(`127.0.0.1:${port}`);
    expect(seen.origin).toBe(`http://127.0.0.1:${port}`);
  });

  it('when the front door drops the Upgrade headers (as it once did), then the upgrade does not happen', async () => {
    const conf = readFileSync(join(fixturesDir, 'broken', 'nginx.conf'), 'utf8');
    const port = await frontDoor(conf, await upgradeServer());
    expect((await tryUpgrade(port)).status).not.toMatch(/101/);
  });
});
