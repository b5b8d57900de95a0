import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The client runs as a production build, the same standalone server as its Docker image; it is
 * (re)built when its sources are newer than the build. Returns the server's entry file.
 */
export function ensureClientBuild(clientDir: string, log: (line: string) => void): string {
  const buildId = join(clientDir, '.next', 'BUILD_ID');
  const standalone = join(clientDir, '.next', 'standalone', 'client');
  const server = join(standalone, 'server.js');
  const fresh = existsSync(buildId) && existsSync(server) && newestSource(clientDir) <= statSync(buildId).mtimeMs;
  if (!fresh) {
    log('building the web client (next build); this takes a minute the first time');
    const result = spawnSync('npx', ['next', 'build'], {
      cwd: clientDir,
      stdio: 'inherit',
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', NODE_ENV: 'production' },
    });
    if (result.status !== 0) throw new Error('next build failed');
  }
  // The standalone server serves static files only from beside itself (as in the image).
  rmSync(join(standalone, '.next', 'static'), { recursive: true, force: true });
  cpSync(join(clientDir, '.next', 'static'), join(standalone, '.next', 'static'), { recursive: true });
  if (existsSync(join(clientDir, 'public'))) cpSync(join(clientDir, 'public'), join(standalone, 'public'), { recursive: true });
  return server;
}

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === '.next' || entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}
