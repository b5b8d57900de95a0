import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The client runs as a production build; it is (re)built when its sources are newer than the build. */
export function ensureClientBuild(clientDir: string, log: (line: string) => void) {
  const buildId = join(clientDir, '.next', 'BUILD_ID');
  if (existsSync(buildId) && newestSource(clientDir) <= statSync(buildId).mtimeMs) return;
  log('building the web client (next build); this takes a minute the first time');
  const result = spawnSync('npx', ['next', 'build'], {
    cwd: clientDir,
    stdio: 'inherit',
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', NODE_ENV: 'production' },
  });
  if (result.status !== 0) throw new Error('next build failed');
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
