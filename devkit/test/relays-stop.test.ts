import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ManagedProcess } from '../src/system/process.js';

/**
 * A service under `tsx watch` (`npm run dev`) takes one SIGTERM (run-service.ts's `process.once`):
 * tsx passes the stop on to it, so a second one, sent to their whole group, would end it mid-drain.
 */
const dir = mkdtempSync(join(tmpdir(), 'ticketing-devkit-relays-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const start = (name: string, relaysStop: boolean) => {
  const logFile = join(dir, `${name}.log`);
  const p = ManagedProcess.start({
    name,
    command: process.execPath,
    args: [fileURLToPath(new URL('fixtures/relays-stop.mjs', import.meta.url))],
    cwd: dir,
    env: process.env,
    output: { logFile },
    ownGroup: true,
    relaysStop,
  });
  return { p, log: () => readFileSync(logFile, 'utf8') };
};

async function running(log: () => string) {
  while (!log().includes('child running')) await new Promise((r) => setTimeout(r, 50));
}

describe('a managed process in a group of its own that passes its stop on (tsx watch)', () => {
  it('when it is stopped, then SIGTERM goes to it alone, and what it runs gets one, from it, and stops as it chooses', async () => {
    const { p, log } = start('relays', true);
    await running(log);

    expect(await p.stop()).toBe(0);

    expect(log().match(/child got SIGTERM/g)).toEqual(['child got SIGTERM']);
  });

  it('when a process that does not is stopped, then its whole group gets SIGTERM, as before', async () => {
    const { p, log } = start('group', false);
    await running(log);

    expect(await p.stop()).toBe(0);

    expect(log().match(/child got SIGTERM/g)).toEqual(['child got SIGTERM', 'child got SIGTERM']);
  });
});
