import express from 'express';
import { recordingLogger, eventually, type TestService } from '@ticketing/testkit';
import supertest from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import type { BaseConfig } from '../src/config/env.js';
import { createServiceApp } from '../src/service/create-app.js';
import { attachWorker, PeriodicWorker } from '../src/service/worker.js';
import { startFixtureService } from './fixtures/service.js';

const workers: PeriodicWorker[] = [];
afterEach(async () => {
  for (const w of workers.splice(0)) await w.stop();
});

/** A pass the test releases by hand, counting how many ran and how many ran at once. */
function gatedPass() {
  const gates: (() => void)[] = [];
  const counts = { started: 0, finished: 0, concurrent: 0, maxConcurrent: 0 };
  const pass = async () => {
    counts.started++;
    counts.concurrent++;
    counts.maxConcurrent = Math.max(counts.maxConcurrent, counts.concurrent);
    await new Promise<void>((resolve) => gates.push(resolve));
    counts.concurrent--;
    counts.finished++;
  };
  const release = () => gates.shift()?.();
  return { pass, release, counts, waiting: () => gates.length };
}

function periodic(name: string, pass: () => Promise<unknown>, intervalMs = 60_000) {
  const { logger, records } = recordingLogger();
  const worker = new PeriodicWorker(name, pass, { intervalMs, logger });
  workers.push(worker);
  return { worker, records };
}

describe('PeriodicWorker', () => {
  it('when kicked during a pass, then passes never overlap and exactly one more pass follows', async () => {
    const gated = gatedPass();
    const { worker } = periodic('gated', gated.pass);
    await worker.start(); // the first pass starts at once
    worker.kick();
    worker.kick();
    worker.kick();
    expect(gated.counts.started).toBe(1);

    gated.release();
    await eventually(async () => gated.waiting() === 1, { what: 'the follow-up pass' });
    gated.release();
    await worker.idle();

    expect(gated.counts).toMatchObject({ started: 2, finished: 2, maxConcurrent: 1 });
  });

  it('when a pass fails, then it is logged and the next tick runs the pass again', async () => {
    let calls = 0;
    const { worker, records } = periodic(
      'flaky',
      async () => {
        calls++;
        if (calls === 1) throw new Error('database away');
      },
      20,
    );
    await worker.start();

    await eventually(async () => calls >= 2, { what: 'a second pass' });
    expect(records).toContainEqual(expect.objectContaining({ level: 'warn', worker: 'flaky', msg: 'pass failed; will retry' }));
  });

  it('when passes keep failing, then the timer waits longer after each (capped), and the first success brings the interval back', async () => {
    const starts: number[] = [];
    let failing = true;
    const { logger, records } = recordingLogger();
    const pass = async () => {
      starts.push(Date.now());
      if (failing) throw new Error('database away');
    };
    const worker = new PeriodicWorker('backing-off', pass, { intervalMs: 20, logger, maxBackoffMs: 160 });
    workers.push(worker);
    await worker.start();
    await eventually(async () => starts.length >= 6, { what: 'six failed passes' });
    const gaps = starts.slice(1).map((t, i) => t - starts[i]!);
    // 40, 80, 160, 160, 160 ms (each at least the backoff, at the timer's 20 ms granularity)
    expect(gaps.slice(0, 5).map((g, i) => g >= Math.min(20 * 2 ** (i + 1), 160) - 5)).toEqual([true, true, true, true, true]);
    expect(Math.max(...gaps)).toBeLessThan(160 + 100);
    const failedLogs = records.filter((r) => r.msg === 'pass failed; will retry');
    expect(failedLogs.map((r) => r.failures)).toEqual(failedLogs.map((_, i) => i + 1));

    failing = false;
    await eventually(async () => records.some((r) => r.msg === 'pass succeeded again'), { what: 'a success' });
    const after = starts.length;
    await eventually(async () => starts.length >= after + 3, { what: 'passes at the interval again' });
    const recent = starts.slice(-3);
    expect(recent[2]! - recent[0]!).toBeLessThan(2 * 20 + 60);
  });

  it('when stopped during a pass, then stop waits for it and no pass starts afterwards', async () => {
    const gated = gatedPass();
    const { worker } = periodic('stopping', gated.pass, 10);
    await worker.start();
    const stopped = worker.stop();
    worker.kick();
    expect(worker.running).toBe(false);

    let done = false;
    void stopped.then(() => (done = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(done).toBe(false); // still waiting for the pass in hand
    gated.release();
    await stopped;
    await new Promise((r) => setTimeout(r, 50));

    expect(gated.counts).toMatchObject({ started: 1, finished: 1 });
  });
});

describe('attachWorker', () => {
  let t: TestService<BaseConfig> | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('when a worker is attached, then /readyz follows it and closing the service stops it', async () => {
    t = await startFixtureService();
    const gated = gatedPass();
    const { worker } = periodic('sweep', gated.pass);
    attachWorker(t.service, worker);
    const http = supertest(createServiceApp(t.service, express.Router()));

    expect((await http.get('/readyz')).body.checks.sweep).toBe(false); // not started
    await worker.start();
    expect((await http.get('/readyz')).body).toMatchObject({ status: 'ready', checks: { sweep: true } });

    gated.release();
    await t.close();
    t = undefined;
    expect(worker.running).toBe(false);
  });
});
