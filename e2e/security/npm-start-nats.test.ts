/**
 * `npm start`'s own NATS (scripts/start/nats.ts, with no NATS_URL): it starts with users and
 * permissions, the keys kept in .data/nats-auth/ (mode 600) and the same on the next start,
 * each identity's seed signs in, and an anonymous client is refused. `npm run dead-letters`
 * finds the admin seed there by itself.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, nkeyAuthenticator } from '@nats-io/transport-node';
import { repoRoot } from '@ticketing/devkit/system/services';
import { inboxPrefixOf } from '@ticketing/devkit/system/nats-auth';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureNats, type NatsHandle } from '../../scripts/start/nats.js';

const dataDir = mkdtempSync(join(tmpdir(), 'npm-start-nats-'));
const started: NatsHandle[] = [];
afterAll(async () => {
  for (const nats of started) await nats.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function start(): Promise<NatsHandle> {
  const given = process.env.NATS_URL;
  delete process.env.NATS_URL;
  try {
    const nats = await ensureNats(dataDir, () => {});
    started.push(nats);
    return nats;
  } finally {
    if (given !== undefined) process.env.NATS_URL = given;
  }
}

describe("npm start's NATS", () => {
  it('when started twice on the same .data, then it has users, keeps their keys (mode 600) and refuses anonymous clients', async () => {
    const first = await start();
    expect(first.seeds?.orders).toMatch(/^SU/);
    expect(statSync(join(dataDir, 'nats-auth', 'nats-keys.json')).mode & 0o777).toBe(0o600);
    await expect(connect({ servers: first.url, reconnect: false, timeout: 2000 })).rejects.toThrow(/Authorization/i);
    const orders = await connect({
      servers: first.url,
      reconnect: false,
      inboxPrefix: inboxPrefixOf('orders'),
      authenticator: nkeyAuthenticator(new TextEncoder().encode(first.seeds!.orders)),
    });
    await orders.flush();
    await orders.close();
    await first.stop();
    started.pop();

    const second = await start();
    expect(second.seeds).toEqual(first.seeds);

    // The dead-letter tool, given only the address: it signs in as admin with the kept seed.
    const admin = await connect({
      servers: second.url,
      inboxPrefix: inboxPrefixOf('admin'),
      authenticator: nkeyAuthenticator(new TextEncoder().encode(second.seeds!.admin)),
    });
    await (await jetstreamManager(admin)).streams.add({ name: 'TICKETING', subjects: ['deadletter.>'] });
    await admin.close();
    const run = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', 'common/src/bin/dead-letters.ts', 'list'], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH, TICKETING_DATA_DIR: dataDir, NATS_URL: second.url, NATS_STREAM: 'TICKETING' },
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('no dead letters');
  });
});
