import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '@ticketing/devkit/free-port';
import { repoRoot } from '@ticketing/devkit/system/services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAPTERS } from '../scripts/checkpoint/chapters.js';
import { RunningSystem } from './system.js';
import { WebClient } from './web-client.js';

/**
 * `npm run checkpoint`, run as a learner runs it (a child process, against a front door), for
 * every chapter of the guide: the whole system as npm start runs it (every service its own
 * process, the client's production build with the event explorer, npm start's front door), with
 * an expiration window short enough for chapter 7 to watch an order expire.
 */
const WINDOW_SECONDS = 6;
let system: RunningSystem;
let web: WebClient;

beforeAll(async () => {
  system = await RunningSystem.start({ env: { EXPIRATION_WINDOW_SECONDS: String(WINDOW_SECONDS) } });
  web = await WebClient.start(system);
}, 300_000);
afterAll(async () => {
  await web?.stop();
  await system?.stop();
});

/** `npm run checkpoint -- <args>`: its exit code and all it printed. */
function checkpoint(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '--silent', 'checkpoint', '--', ...args], { cwd: repoRoot, env: { ...process.env, ...env } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk));
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** Runs `jobs` with at most `width` at a time (each checkpoint is a process with a feed of the explorer's). */
async function inParallel<T>(jobs: (() => Promise<T>)[], width: number): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < jobs.length) {
        const i = next++;
        results[i] = await jobs[i]!();
      }
    }),
  );
  return results;
}

describe('npm run checkpoint against the running system', () => {
  it('when every chapter is checked, then each checkpoint passes, none skipped, and --all (by TICKETING_URL) passes too', async () => {
    const runs = await inParallel(
      [
        ...CHAPTERS.map((c) => () => checkpoint([String(c.number), '--url', web.url]).then((r) => ({ chapter: String(c.number), ...r }))),
        () => checkpoint(['--all'], { TICKETING_URL: web.url }).then((r) => ({ chapter: '--all', ...r })),
      ],
      4,
    );
    const failed = runs.filter((r) => r.code !== 0 || /^\s+(FAIL|SKIP)\s/m.test(r.output));
    expect(failed.map((r) => `checkpoint ${r.chapter} (exit ${r.code}):\n${r.output}`)).toEqual([]);
    for (const { chapter, output } of runs.filter((r) => r.chapter !== '--all')) {
      const { checks } = CHAPTERS.find((c) => String(c.number) === chapter)!;
      expect(output).toContain(`Checkpoint ${chapter}: ${checks.length} passed, 0 failed.`);
    }
    expect(runs.at(-1)!.output).toContain('Every check passed.');
  }, 240_000);

  it('when nothing answers at the URL, then the checkpoint fails at once and says so', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const { code, output } = await checkpoint(['1', '--url', url]);
    expect(code).toBe(1);
    expect(output).toContain(`FAIL  auth, tickets, orders and payments answer through the front door`);
    expect(output).toContain(`nothing answers at ${url} (ECONNREFUSED): is the system running (npm start), or is --url / TICKETING_URL wrong?`);
  });

  it('when the chapter is not one of the guide\'s, then it says how to run it and exits 2', async () => {
    const { code, output } = await checkpoint(['23', '--url', web.url]);
    expect({ code, output }).toMatchObject({ code: 2, output: expect.stringContaining('no chapter 23\nusage: npm run checkpoint -- <chapter 1-22> | --all') });
  });

  it('when the orders service is stopped, then the checkpoints of chapters 1 and 3 fail naming it, and pass again once it is back', async () => {
    await system.kill('orders');
    try {
      const [first, third] = await Promise.all([checkpoint(['1', '--url', web.url]), checkpoint(['3', '--url', web.url])]);
      for (const run of [first, third]) {
        expect(run.code).toBe(1);
        expect(run.output).toContain('502 "orders is not available"');
        expect(run.output).toContain('the orders service does not answer; is it running? (npm start prints "orders stopped unexpectedly")');
      }
      expect(first.output).toContain('FAIL  auth, tickets, orders and payments answer through the front door');
      expect(first.output).toContain('see docs/guide/01-services.md, "Who talks to whom"');
      expect(third.output).toContain('POST /api/orders answered 502 "orders is not available" instead of 201');
      expect(third.output).toContain('see docs/guide/03-flows.md, "Purchase"');
      expect(third.output).toContain('Checkpoint 3: 0 passed, 3 failed.');
    } finally {
      await system.startService('orders');
    }
    const again = await checkpoint(['3', '--url', web.url]);
    expect({ code: again.code, output: again.output }).toMatchObject({ code: 0, output: expect.stringContaining('Checkpoint 3: 3 passed, 0 failed.') });
  }, 120_000);
});

describe('the checkpoints and the guide', () => {
  it('when a check points into the guide, then its chapter and section heading exist there', () => {
    const missing = CHAPTERS.flatMap((c) => c.checks)
      .map((check) => check.guide)
      .filter(([file, section]) => !readFileSync(join(repoRoot, 'docs', 'guide', file), 'utf8').split('\n').includes(`## ${section}`));
    expect(missing).toEqual([]);
  });

  it('when the guide has a numbered chapter, then it has a checkpoint, and the other way round', () => {
    const numbered = [...readFileSync(join(repoRoot, 'docs', 'guide', 'README.md'), 'utf8').matchAll(/^\| (\d+) \| \[/gm)].map((m) => Number(m[1]));
    expect(CHAPTERS.map((c) => c.number)).toEqual(numbered);
  });
});
