import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@ticketing/testkit';
import { DatabaseNotifications } from '../src/db/notifications.js';

const logger = pino({ level: 'silent' });
let database: TestDatabase;
let other: pg.Client;

beforeAll(async () => {
  database = await createTestDatabase();
  other = new pg.Client({ connectionString: database.url });
  await other.connect();
  await other.query('create table things (id text primary key)');
});
afterAll(async () => {
  await other.end();
  await database.drop();
});

async function listening() {
  const notifications = new DatabaseNotifications(database.url, logger);
  await notifications.start();
  return notifications;
}

/** Another connection (another replica) adds a thing and notifies in the same transaction. */
async function commitThing(id: string) {
  await other.query('begin');
  await other.query('insert into things values ($1)', [id]);
  await other.query(`select pg_notify('thing_added', $1)`, [id]);
  await other.query('commit');
}

const findThing = async (id: string) => (await other.query('select id from things where id = $1', [id])).rows[0] as { id: string } | undefined;

describe('database notifications', () => {
  it('when another connection commits a notification, then handlers on its channel get the payload, and an unsubscribed one does not', async () => {
    const n = await listening();
    try {
      const got: string[] = [];
      const gone: string[] = [];
      n.on('thing_added', (p) => got.push(p));
      const off = n.on('thing_added', (p) => gone.push(p));
      off();
      await new Promise((r) => setTimeout(r, 50)); // the LISTEN is under way
      await commitThing('a');
      await expect.poll(() => got).toEqual(['a']);
      expect(gone).toEqual([]);
    } finally {
      await n.close();
    }
  });

  it('when a waiter looks for a thing committed later, then the commit wakes it at once, long before its bound', async () => {
    const n = await listening();
    try {
      let looks = 0;
      const started = Date.now();
      const waiting = n.waitFor('thing_added', 'b', () => (looks++, findThing('b')), 10_000);
      setTimeout(() => void commitThing('b'), 100);
      expect(await waiting).toEqual({ id: 'b' });
      expect(Date.now() - started).toBeLessThan(2000);
      // Once at first, once on the commit: no polling in between.
      expect(looks).toBe(2);
    } finally {
      await n.close();
    }
  });

  it('when nothing is committed within the bound, then the waiter gives up with undefined', async () => {
    const n = await listening();
    try {
      const started = Date.now();
      expect(await n.waitFor('thing_added', 'never', () => findThing('never'), 300)).toBeUndefined();
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    } finally {
      await n.close();
    }
  });

  it('when its connection is cut, then it connects again, listens again and tells reconnect handlers', async () => {
    const n = await listening();
    try {
      const got: string[] = [];
      let reconnects = 0;
      n.on('thing_added', (p) => got.push(p));
      n.onReconnect(() => reconnects++);
      await other.query(
        `select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`,
      );
      await expect.poll(() => reconnects, { timeout: 5000 }).toBe(1);
      await commitThing('c');
      await expect.poll(() => got).toEqual(['c']);
    } finally {
      await n.close();
    }
  });
});
