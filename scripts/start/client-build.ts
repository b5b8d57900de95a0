import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The client runs as a production build, the same standalone server as its Docker image; it is
 * (re)built when its sources are newer than the build. Returns the server's entry file.
 */
export function ensureClientBuild(clientDir: string, log: (line: string) => void): string {
  const standalone = join(clientDir, '.next', 'standalone', 'client');
  const server = join(standalone, 'server.js');
  if (!clientBuildIsFresh(clientDir)) {
    log('building the web client (next build); this takes a minute the first time');
    const result = spawnSync('npx', ['next', 'build'], {
      cwd: clientDir,
      stdio: 'inherit',
      // With the event explorer's routes (client/lib/explorer-setting.ts); EVENT_EXPLORER at run time decides.
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', NODE_ENV: 'production', EVENT_EXPLORER: 'on' },
    });
    if (result.status !== 0) throw new Error('next build failed');
  }
  // The standalone server serves static files only from beside itself (as in the image).
  rmSync(join(standalone, '.next', 'static'), { recursive: true, force: true });
  cpSync(join(clientDir, '.next', 'static'), join(standalone, '.next', 'static'), { recursive: true });
  if (existsSync(join(clientDir, 'public'))) cpSync(join(clientDir, 'public'), join(standalone, 'public'), { recursive: true });
  return server;
}

/** The explorer's feed in a build: a build made without it (for an image, say) is not npm start's. */
export const EXPLORER_ROUTE = join('.next', 'server', 'app', 'api', 'events', 'stream', 'route.js');

/** Whether the build is there, has the event explorer, and is newer than every source it compiles. */
export function clientBuildIsFresh(clientDir: string): boolean {
  const buildId = join(clientDir, '.next', 'BUILD_ID');
  const needed = [buildId, join(clientDir, '.next', 'standalone', 'client', 'server.js'), join(clientDir, EXPLORER_ROUTE)];
  if (!needed.every((file) => existsSync(file))) return false;
  // The client compiles the contract package's sources into its build: either may make it stale.
  const sources = [clientDir, join(clientDir, '..', 'contracts')];
  return Math.max(...sources.map(newestSource)) <= statSync(buildId).mtimeMs;
}

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    // next-env.d.ts is written by Next itself (next dev and next build each write their own).
    if (['.next', 'node_modules', 'dist', 'next-env.d.ts'].includes(entry.name) || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}
