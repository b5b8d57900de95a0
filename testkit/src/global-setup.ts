import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '@ticketing/devkit';
import { isSupportedNatsVersion, NATS_MIN_VERSION, NatsServer } from '@ticketing/devkit/system/nats-server';

/**
 * Once per test run: PostgreSQL from DATABASE_URL, or else an embedded server; NATS from
 * NATS_URL, or else a nats-server of production's release line (devkit's findNatsServer) on a
 * free port. What it starts lives in temporary directories, removed afterwards.
 */
export default async function setup(project: TestProject) {
  const stops: (() => Promise<void>)[] = [];
  try {
    project.provide('databaseAdminUrl', await postgres(stops));
    const natsUrl = await nats(stops);
    project.provide('natsUrl', natsUrl);
    // Also in the environment, which the test workers (forked after this) inherit: tests that
    // run `npm start` or services pass theirs on, so those reach this server too.
    process.env.NATS_URL = natsUrl;
  } catch (err) {
    await teardown(stops);
    throw err;
  }
  return () => teardown(stops);
}

async function teardown(stops: (() => Promise<void>)[]) {
  for (const stop of stops.reverse()) await stop();
}

async function postgres(stops: (() => Promise<void>)[]): Promise<string> {
  if (process.env.DATABASE_URL) return process.env.DATABASE_URL;
  const dir = await mkdtemp(join(tmpdir(), 'ticketing-test-pg-'));
  stops.push(() => rm(dir, { recursive: true, force: true }));
  const server = await startEmbeddedPostgres({ dir, persistent: false });
  stops.push(() => server.stop());
  return server.adminUrl;
}

async function nats(stops: (() => Promise<void>)[]): Promise<string> {
  const given = process.env.NATS_URL;
  if (given) {
    // Tests must see what production does (e.g. on 2.9 `msg.term(reason)` is not final).
    const nc = await connect({ servers: given, reconnect: false }).catch((err: Error) => {
      throw new Error(`NATS_URL=${given} does not answer (${err.message}): start it, or unset NATS_URL and the tests start a server of their own`);
    });
    const version = nc.info?.version ?? 'unknown';
    await nc.close();
    if (!isSupportedNatsVersion(version)) {
      throw new Error(
        `NATS_URL=${given} is nats-server ${version}, older than ${NATS_MIN_VERSION}, the release production runs: ` +
          'point NATS_URL at a newer one, or unset it and the tests start one of their own',
      );
    }
    return given;
  }
  const dir = await mkdtemp(join(tmpdir(), 'ticketing-test-nats-'));
  stops.push(() => rm(dir, { recursive: true, force: true }));
  const server = await NatsServer.start({ storeDir: join(dir, 'store'), logFile: join(dir, 'nats-server.log') });
  stops.push(() => server.stop());
  return server.url;
}
