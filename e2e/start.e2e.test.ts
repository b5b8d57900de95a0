import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { NATS_URL } from '@ticketing/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { Launcher, processesMentioning } from './launcher.js';

/**
 * `npm start` with its data inside a folder only its owner may enter (mkdtemp makes it mode
 * 700, like a home folder under /root). As root, PostgreSQL runs as a user of its own, who
 * cannot get through that folder; as anyone else it runs as that same user, who can.
 */
const run = randomBytes(4).toString('hex');
const closed = mkdtempSync(join(tmpdir(), 'ticketing-closed-'));
const dataDir = join(closed, 'data');
const env = { NATS_STREAM: `E2E_START_${run}`, NATS_SUBJECT_PREFIX: `start${run}.`, LOG_LEVEL: 'warn' };

afterAll(async () => {
  const nc = await connect({ servers: NATS_URL });
  await (await jetstreamManager(nc)).streams.delete(env.NATS_STREAM).catch(() => false);
  await nc.close();
  rmSync(closed, { recursive: true, force: true });
});

describe('npm start with TICKETING_DATA_DIR inside a folder others cannot enter', () => {
  if (process.getuid?.() === 0) {
    it('when run as root, then it stops at once, non-zero, with a plain message that names the folder and the ways out', async () => {
      const began = Date.now();
      const { code, output } = await Launcher.runToExit({ dataDir, env, name: `start-closed-${run}` });
      const tookMs = Date.now() - began;

      expect(code).not.toBe(0);
      expect(output).toContain('Could not start Ticketing: PostgreSQL does not run as root, so the embedded server runs as the user "postgres"');
      expect(output).toContain(`who cannot enter ${closed} (mode 700) on the way to its data in ${join(dataDir, 'postgres')}.`);
      expect(output).toContain('TICKETING_DATA_DIR');
      expect(output).toContain(`chmod o+x ${closed}`);
      expect(output).toContain('set DATABASE_URL to a PostgreSQL server');
      expect(output).not.toMatch(/^\s+at /m); // no stack trace
      expect(tookMs).toBeLessThan(10_000);
      expect(processesMentioning(dataDir)).toEqual([]);
    }, 60_000);
  } else {
    it('when run as a normal user, then PostgreSQL runs as that user, who may enter it, and the system starts', async () => {
      const launcher = await Launcher.start({ dataDir, env, name: `start-closed-${run}` });
      try {
        expect((await fetch(`${launcher.url}/api/users/currentuser`)).status).toBe(200);
      } finally {
        await launcher.interrupt();
      }
    }, 300_000);
  }
});
