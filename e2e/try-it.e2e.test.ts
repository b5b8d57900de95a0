/**
 * Chapter 12's race, run as the chapter prints it: its shell block, with bash and curl, against
 * the whole system's front door (every service its own process, as under npm start). Then the
 * chapter's own edit of it, twenty buyers. The chapter's other two experiments have their
 * automated versions: e2e/crash.e2e.test.ts and e2e/expiry.e2e.test.ts.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@ticketing/devkit/free-port';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFrontDoor } from '../scripts/start/front-door.js';
import { shellBlocks } from './guide-blocks.js';
import { RunningSystem } from './system.js';

let system: RunningSystem;
let frontDoor: http.Server;
let api: string;
let workDir: string;

beforeAll(async () => {
  system = await RunningSystem.start();
  // The pages are not part of the race: the client's port is one nothing listens on.
  frontDoor = createFrontDoor({ ...system.ports, client: await freePort() });
  const port = await freePort();
  await new Promise<void>((resolve) => frontDoor.listen(port, '127.0.0.1', resolve));
  api = `http://localhost:${port}`;
  workDir = mkdtempSync(join(tmpdir(), 'try-it-'));
}, 300_000);
afterAll(async () => {
  frontDoor?.closeAllConnections();
  frontDoor?.close();
  await system?.stop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

/** The chapter's block with its API pointed at this system, run by bash in an empty folder (not blocking: the front door is in this process). */
function run(script: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile('bash', ['-c', script.replace('API=http://localhost:3000', `API=${api}`)], { cwd: mkdtempSync(join(workDir, 'run-')), timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }),
    );
    child.stdin?.end();
  });
}

const answers = (stdout: string) => [...stdout.matchAll(/^(\w+): (\d{3})$/gm)].map((m) => Number(m[2])).sort();

describe("chapter 12's race, as printed", () => {
  const [race] = shellBlocks('12-try-it.md', '2. Race two buyers');

  it('when two buyers order the same ticket at once, then one gets 201 and the other 409 "Ticket is already reserved"', async () => {
    expect(race).toContain('API=http://localhost:3000');
    const { status, stdout, stderr } = await run(race!);
    expect({ status, stderr }).toEqual({ status: 0, stderr: '' });
    expect(answers(stdout)).toEqual([201, 409]);
    expect(stdout).toContain('{"errors":[{"message":"Ticket is already reserved"}]}');
  });

  it('when the chapter\'s edit makes it twenty buyers, then still exactly one gets 201', async () => {
    const twenty = race!.replaceAll('seller alice bob', 'seller $(seq 1 20)').replaceAll('alice bob', '$(seq 1 20)');
    expect(twenty).not.toContain('alice bob');
    const { stdout } = await run(twenty);
    const got = answers(stdout);
    expect(got).toHaveLength(20);
    expect(got.filter((code) => code === 201)).toHaveLength(1);
    expect(got.filter((code) => code === 409)).toHaveLength(19);
  });
});
