import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { busDefaults } from '@ticketing/contracts';
import { uniqueSuffix } from './unique-suffix.js';

export const NATS_URL = process.env.NATS_URL ?? busDefaults.url;

export interface TestBus {
  env: { NATS_URL: string; NATS_STREAM: string; NATS_SUBJECT_PREFIX: string };
  /** Deletes the stream (and with it every consumer). */
  remove(): Promise<void>;
}

/** A stream and subject prefix of their own, on the shared NATS server or on `url`. */
export function createTestBus(url = NATS_URL): TestBus {
  const id = uniqueSuffix();
  const env = { NATS_URL: url, NATS_STREAM: `TEST_${id}`, NATS_SUBJECT_PREFIX: `t${id}.` };
  return {
    env,
    async remove() {
      const nc = await connect({ servers: url });
      try {
        const jsm = await jetstreamManager(nc);
        await jsm.streams.delete(env.NATS_STREAM).catch(() => false);
      } finally {
        await nc.close();
      }
    },
  };
}
