/**
 * Services start in any order: one that comes up before its PostgreSQL or NATS waits for it.
 * "Comes up later" is played by a TCP relay to the real server that starts listening on a
 * port only after the service has begun trying it.
 */
import { createServer, connect as tcpConnect, type Server } from 'node:net';
import { freePort } from '@ticketing/devkit/free-port';
import { createTestBus, createTestDatabase, NATS_URL, recordingLogger, type TestDatabase } from '@ticketing/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { Bus } from '../src/bus/bus.js';
import { connectDatabase, type Database } from '../src/db/database.js';
import { migrationsFolder } from './fixtures/service.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** After `delayMs`, listens on `port` and relays every connection to `target`. */
function relayLater(port: number, target: { host: string; port: number }, delayMs: number) {
  let server: Server | undefined;
  const timer = setTimeout(() => {
    server = createServer((client) => {
      const upstream = tcpConnect(target.port, target.host);
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    }).listen(port, '127.0.0.1');
  }, delayMs);
  cleanups.push(async () => {
    clearTimeout(timer);
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  });
}

async function testDatabase(): Promise<TestDatabase> {
  const database = await createTestDatabase();
  cleanups.push(() => database.drop());
  return database;
}

const keep = (database: Database) => {
  cleanups.push(() => database.close());
  return database;
};

const waits = (records: { msg?: string }[], what: string) => records.filter((r) => r.msg?.startsWith(`waiting for ${what}`));

describe('start order', () => {
  it('when PostgreSQL comes up a second after the service starts, then the service waits, saying so, and connects and migrates', async () => {
    const database = await testDatabase();
    const real = new URL(database.url);
    const port = await freePort();
    const late = new URL(database.url);
    late.port = String(port);
    relayLater(port, { host: real.hostname, port: Number(real.port) }, 1000);
    const { logger, records } = recordingLogger();

    const db = keep(await connectDatabase({ url: late.toString(), migrationsFolder, logger, startupWaitMs: 20_000 }));

    expect((await db.pool.query('select count(*)::int as n from outbox')).rows).toEqual([{ n: 0 }]);
    expect(waits(records, `PostgreSQL at 127.0.0.1:${port}`).length).toBeGreaterThanOrEqual(2);
  });

  it('when PostgreSQL never comes up, then the start fails with the connection error once the wait is over', async () => {
    const database = await testDatabase();
    const dead = new URL(database.url);
    dead.port = String(await freePort());
    const { logger } = recordingLogger();
    const started = Date.now();

    await expect(connectDatabase({ url: dead.toString(), migrationsFolder, logger, startupWaitMs: 800 })).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(700);
  });

  it('when the database does not exist, then the start fails at once: no wait fixes that', async () => {
    const database = await testDatabase();
    const missing = new URL(database.url);
    missing.pathname = '/no_such_database';
    const { logger, records } = recordingLogger();
    const started = Date.now();

    await expect(connectDatabase({ url: missing.toString(), migrationsFolder, logger, startupWaitMs: 20_000 })).rejects.toMatchObject({
      code: '3D000',
    });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(waits(records, 'PostgreSQL')).toEqual([]);
  });

  it('when NATS comes up a second after the service starts, then the bus waits for it and connects', async () => {
    const real = new URL(NATS_URL.includes('://') ? NATS_URL : `nats://${NATS_URL}`);
    const port = await freePort();
    relayLater(port, { host: real.hostname, port: Number(real.port || 4222) }, 1000);
    const testBus = createTestBus();
    cleanups.push(() => testBus.remove());
    const { logger, records } = recordingLogger();

    const bus = await Bus.connect(
      { url: `nats://127.0.0.1:${port}`, name: 'start-order', stream: testBus.env.NATS_STREAM, subjectPrefix: testBus.env.NATS_SUBJECT_PREFIX, startupWaitMs: 20_000 },
      logger,
    );
    cleanups.push(() => bus.close());

    await bus.ping();
    expect(waits(records, `NATS at nats://127.0.0.1:${port}`).length).toBeGreaterThanOrEqual(2);
  });
});
