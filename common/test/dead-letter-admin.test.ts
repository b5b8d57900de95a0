import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { eq, sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { dropDeadLetter, getDeadLetter, listDeadLetters, replayDeadLetter } from '../src/bus/dead-letter-admin.js';
import { PermanentFailure } from '../src/bus/failures.js';
import { defineListener } from '../src/bus/listener.js';
import type { BaseConfig } from '../src/config/env.js';
import { eventually, publishTestEvent, readStream, jetStreamOf, type TestService } from '@ticketing/testkit';
import { inbox, widgets } from './fixtures/schema.js';
import { startFixtureService } from './fixtures/service.js';
import { ticketCreated } from './fixtures/widgets.js';

const opts = { retryDelayMs: 50, maxRetryDelayMs: 200, ackWaitMs: 2000 };
const CONSUMER = 'fixture-ticket-created';
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

let t: TestService<BaseConfig> | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

/** Refuses every event while `broken` (a bug since fixed, say): each is dead-lettered at once. */
const state = { broken: true };
const recordWidget = defineListener('ticket.created', async (event, { tx }) => {
  if (state.broken) throw new PermanentFailure(`cannot take "${event.title}" yet`);
  await tx.insert(widgets).values({ id: event.id, name: event.title });
});
const widgetNames = async () => (await t!.service.database.db.select().from(widgets)).map((w) => w.name).sort();

/** The operator's command, as `npm run dead-letters --` runs it, against the test's stream. */
function deadLetters(...args: string[]) {
  const run = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', 'common/src/bin/dead-letters.ts', ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...t!.bus.env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

async function threeDeadLetters() {
  state.broken = true;
  t = await startFixtureService();
  await t.listen([recordWidget], opts);
  // One at a time: events of different records are handled side by side, and so could be
  // dead-lettered in any order.
  const ids: string[] = [];
  let letters: Awaited<ReturnType<typeof listDeadLetters>> = [];
  for (const [payload, options] of [[ticketCreated({ title: 'one' })], [ticketCreated({ title: 'two' })], [null, { raw: 'not json' }]] as const) {
    ids.push(await publishTestEvent(t.bus, 'ticket.created', payload, options));
    letters = await eventually(async () => {
      const found = await listDeadLetters(jetStreamOf(t!.service));
      return found.length === ids.length && found;
    });
  }
  return { ids, letters };
}

describe('dead letters: list, replay, drop', () => {
  it('when events are dead-lettered, then each is listed once with its consumer, subject, event id, reason, time and payload', async () => {
    const { ids, letters } = await threeDeadLetters();
    expect(letters.map((l) => [l.consumer, l.subject, l.eventId, l.deliveries])).toEqual(ids.map((id) => [CONSUMER, 'ticket.created', id, 1]));
    expect(letters.map((l) => l.reason)).toEqual(['cannot take "one" yet', 'cannot take "two" yet', 'payload is not JSON']);
    expect(letters[2]!.payload).toBe('not json');
    expect(JSON.parse(letters[0]!.payload)).toMatchObject({ title: 'one' });
    for (const l of letters) expect(Date.now() - l.time.getTime()).toBeLessThan(60_000);
    expect(await listDeadLetters(jetStreamOf(t!.service), { consumer: 'someone-else-ticket-created' })).toEqual([]);
    expect(await getDeadLetter(jetStreamOf(t!.service), letters[1]!.seq)).toEqual(letters[1]);
    // Listing takes nothing away.
    expect(await listDeadLetters(jetStreamOf(t!.service), { consumer: CONSUMER })).toHaveLength(3);
  });

  it('when a dead letter is replayed, then only its consumer gets it again, it takes effect once (a repeated replay too), and it leaves the list', async () => {
    const { ids, letters } = await threeDeadLetters();
    state.broken = false;
    await replayDeadLetter(jetStreamOf(t!.service), letters[0]!);
    await eventually(async () => (await widgetNames()).length === 1);
    // The same dead letter replayed again (a crash between publishing and removing it): JetStream
    // drops the second copy (same message id), and past its window the inbox would know the event.
    await replayDeadLetter(jetStreamOf(t!.service), letters[0]!);
    expect(await readStream(t!.bus, 'replay.>')).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 500));
    expect(await widgetNames()).toEqual(['one']);
    const entries = await t!.service.database.db.select().from(inbox).where(eq(inbox.eventId, ids[0]!));
    expect(entries).toHaveLength(1);
    expect((await listDeadLetters(jetStreamOf(t!.service))).map((l) => l.eventId)).toEqual(ids.slice(1));
    // Sent to this consumer's replay subject, never back to ticket.created for every consumer.
    expect((await readStream(t!.bus, 'ticket.created')).length).toBe(3);
  });

  it('when a replayed event fails for good again, then it is dead-lettered again, not lost', async () => {
    const { letters } = await threeDeadLetters();
    await replayDeadLetter(jetStreamOf(t!.service), letters[0]!);
    const again = await eventually(async () => {
      const found = await listDeadLetters(jetStreamOf(t!.service));
      return found.length === 3 && found.some((l) => l.seq > letters[2]!.seq) && found;
    });
    expect(again.map((l) => l.eventId).sort()).toEqual(letters.map((l) => l.eventId).sort());
  });

  it('when a dead letter is dropped, then it is gone and nothing is applied', async () => {
    const { letters } = await threeDeadLetters();
    state.broken = false;
    await dropDeadLetter(jetStreamOf(t!.service), letters[2]!);
    await dropDeadLetter(jetStreamOf(t!.service), letters[2]!); // already gone: still fine
    expect(await listDeadLetters(jetStreamOf(t!.service))).toHaveLength(2);
    expect(await widgetNames()).toEqual([]);
  });

  it('when the operator runs the command, then it lists, shows, replays a consumer\'s dead letters and drops one, and refuses bad requests with a clear message', async () => {
    const { letters } = await threeDeadLetters();
    const listed = deadLetters('list', '--json');
    expect(listed.status).toBe(0);
    expect(JSON.parse(listed.stdout).map((l: { seq: number }) => l.seq)).toEqual(letters.map((l) => l.seq));
    const text = deadLetters('list');
    expect(text.stdout).toContain(`${CONSUMER}: 3 dead letters`);
    expect(text.stdout).toContain('payload is not JSON');
    const shown = deadLetters('show', String(letters[0]!.seq));
    expect(JSON.parse(shown.stdout)).toMatchObject({ seq: letters[0]!.seq, consumer: CONSUMER, payload: { title: 'one' } });

    for (const [args, message] of [
      [['show', '999999'], 'no dead letter at sequence 999999'],
      [['replay'], 'name the dead letters'],
      [['replay', '1', '--consumer', CONSUMER], 'not both'],
      [['drop', 'x'], '"x" is not a sequence number'],
      [['purge'], 'unknown command "purge"'],
    ] as const) {
      const refused = deadLetters(...args);
      expect(refused.status, args.join(' ')).toBe(2);
      expect(refused.stderr).toContain(message);
    }
    expect(await listDeadLetters(jetStreamOf(t!.service))).toHaveLength(3);

    const dropped = deadLetters('drop', String(letters[2]!.seq));
    expect(dropped.stdout).toContain('1 dead letter dropped');
    state.broken = false;
    const replayed = deadLetters('replay', '--consumer', CONSUMER);
    expect(replayed.status).toBe(0);
    expect(replayed.stdout).toContain('2 dead letters replayed');
    await eventually(async () => (await widgetNames()).length === 2);
    expect(await widgetNames()).toEqual(['one', 'two']);
    expect(deadLetters('list').stdout.trim()).toBe('no dead letters');
    expect((await t!.service.database.db.select({ n: sql<number>`count(*)::int` }).from(inbox))[0]!.n).toBe(2);
  });
});
