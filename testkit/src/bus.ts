import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { inject } from 'vitest';
import { uniqueSuffix } from './unique-suffix.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's NATS server (from the global setup): NATS_URL, or one it started. */
    natsUrl: string;
  }
}

/** The NATS server every test of the run shares, each file on a stream of its own. */
export const NATS_URL = inject('natsUrl');

export interface TestBus {
  env: { NATS_URL: string; NATS_STREAM: string; NATS_SUBJECT_PREFIX: string; NATS_STREAM_MAX_BYTES: string };
  /** Deletes the stream (and with it every consumer). */
  remove(): Promise<void>;
}

/** A stream and subject prefix of their own, on the run's NATS server or on `url`. */
export function createTestBus(url = NATS_URL): TestBus {
  const id = uniqueSuffix();
  // A stream's byte limit is reserved on the server's store: a test's small one leaves room for many at once.
  const env = { NATS_URL: url, NATS_STREAM: `TEST_${id}`, NATS_SUBJECT_PREFIX: `t${id}.`, NATS_STREAM_MAX_BYTES: String(64 << 20) };
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
