import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { freePort } from '@ticketing/devkit/free-port';
import { repoRoot } from '@ticketing/devkit/system/services';
import { eventually } from '@ticketing/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The client as its Docker image builds it (`npm run build`, no EVENT_EXPLORER): no event
 * explorer in it at all, whatever the environment says at run time. Built from a copy of the
 * client and contract sources, so npm start's own build in client/.next is left alone.
 */
const work = join(repoRoot, '.test-results', `client-production-build-${process.pid}`);
const client = join(work, 'client');
let server: ReturnType<typeof spawn> | undefined;

beforeAll(() => {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const skip = (src: string) => !/[/\\](\.next|node_modules|test)([/\\]|$)/.test(relative(repoRoot, src));
  cpSync(join(repoRoot, 'client'), client, { recursive: true, filter: skip });
  cpSync(join(repoRoot, 'contracts'), join(work, 'contracts'), { recursive: true, filter: skip });
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'production', NEXT_TELEMETRY_DISABLED: '1' };
  delete env.EVENT_EXPLORER;
  const build = spawnSync(process.execPath, [join(repoRoot, 'node_modules', 'next', 'dist', 'bin', 'next'), 'build'], { cwd: client, env, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`next build failed:\n${build.stdout}\n${build.stderr}`);
}, 600_000);
afterAll(() => {
  server?.kill();
  rmSync(work, { recursive: true, force: true });
});

/** The standalone server.js of the build (its place mirrors the copy's path below the repository). */
function standaloneServer(dir = join(client, '.next', 'standalone')): string | undefined {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    if (entry.isFile() && entry.name === 'server.js') return path;
    if (entry.isDirectory()) {
      const found = standaloneServer(path);
      if (found) return found;
    }
  }
  return undefined;
}

describe('a production build of the client', () => {
  it('when it is built without EVENT_EXPLORER, then it has neither the /events page nor its feed', () => {
    const routes = Object.values(JSON.parse(readFileSync(join(client, '.next', 'app-path-routes-manifest.json'), 'utf8')) as Record<string, string>);

    expect(routes).toContain('/orders/[id]');
    expect(routes.filter((r) => r.includes('events'))).toEqual([]);
    expect(existsSync(join(client, '.next', 'server', 'app', 'events'))).toBe(false);
    expect(existsSync(join(client, '.next', 'server', 'app', 'api', 'events'))).toBe(false);
  });

  it('when it runs with EVENT_EXPLORER=on, then /events and its feed still answer 404, the header has no link to it, and pages carry their CSP', async () => {
    const entry = standaloneServer();
    expect(entry).toBeDefined();
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), HOSTNAME: '127.0.0.1', NODE_ENV: 'production', EVENT_EXPLORER: 'on' };
    for (const s of ['AUTH', 'TICKETS', 'ORDERS', 'PAYMENTS']) env[`${s}_URL`] = 'http://127.0.0.1:9';
    server = spawn(process.execPath, [entry!], { env, stdio: 'ignore' });
    const base = `http://127.0.0.1:${port}`;

    const home = await eventually(() => fetch(`${base}/`).catch(() => undefined), { what: 'the client to start', timeoutMs: 30_000 });
    const page = await fetch(`${base}/events`);
    const feed = await fetch(`${base}/api/events/stream`);

    expect(page.status).toBe(404);
    expect(feed.status).toBe(404);
    expect(await home.text()).not.toContain('href="/events"');
    expect(home.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  });
});
