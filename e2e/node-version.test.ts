import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { unsupportedNode } from '../scripts/check-node.mjs';

/**
 * The Node.js versions Ticketing runs on (package.json's engines), and the plain message that
 * `npm start` and `npm test` give on an older one instead of failing deep in a dependency.
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const oldNode = fileURLToPath(new URL('fixtures/old-node.mjs', import.meta.url));

describe('the Node.js version check', () => {
  it('when the version is 24 LTS, 22.12 or newer, then it passes; when older, then it names both versions', () => {
    for (const version of ['24.22.3', '22.12.0', '26.1.0']) expect(unsupportedNode(version)).toBeUndefined();
    for (const version of ['20.20.2', '22.11.0', '18.20.8']) {
      expect(unsupportedNode(version, '/usr/bin/node')).toMatch(
        new RegExp(`^Ticketing needs Node\\.js >=22\\.12\\.0 .*this is Node\\.js ${version.replaceAll('.', '\\.')} \\(/usr/bin/node\\)`),
      );
    }
  });

  it.each(['start', 'test'])('when `npm %s` runs on Node.js 20, then it stops at once with that message and starts nothing', (script) => {
    const started = Date.now();
    const result = spawnSync('npm', [script], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, NODE_OPTIONS: `--import=${oldNode}`, PORT: '1' },
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Ticketing needs Node.js >=22.12.0');
    expect(result.stderr).toContain('this is Node.js 20.20.2');
    expect(result.stdout + result.stderr).not.toMatch(/type-checking|starting|using|\n\s+at /);
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});
