import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { NatsIdentity } from '@ticketing/devkit/system/nats-auth';
import { natsCredentials } from '@ticketing/devkit/system/nats-credentials';
import { NatsServer } from '@ticketing/devkit/system/nats-server';
import { repoRoot } from '@ticketing/devkit/system/services';
import { createTestBus, type TestBus } from '@ticketing/testkit';

export interface AuthorisedBus {
  bus: TestBus;
  /** Each identity's nkey seed: a service gets only its own. */
  seeds: Record<NatsIdentity, string>;
  /** The server's log, where it records every permission violation. */
  logFile: string;
}

/**
 * A NATS server of a system's own, as production runs it: users and permissions generated from
 * contracts' busAccess for the system's stream and subject prefix, anonymous connections refused.
 * Its store and log are under `.test-results/e2e/<stream>/nats/`; remove() stops it.
 */
export async function authorisedTestBus(): Promise<AuthorisedBus> {
  const { env } = createTestBus();
  const dir = join(repoRoot, '.test-results', 'e2e', env.NATS_STREAM.toLowerCase(), 'nats');
  const { keys, configFile } = natsCredentials(dir, { stream: env.NATS_STREAM, subjectPrefix: env.NATS_SUBJECT_PREFIX });
  const storeDir = join(dir, 'store');
  const logFile = join(dir, 'nats.log');
  const server = await NatsServer.start({ storeDir, logFile, configFile, probeSeed: keys.admin.seed });
  const seeds = Object.fromEntries(Object.entries(keys).map(([id, key]) => [id, key.seed])) as Record<NatsIdentity, string>;
  const bus: TestBus = {
    env: { ...env, NATS_URL: server.url },
    async remove() {
      await server.stop();
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
  return { bus, seeds, logFile };
}
