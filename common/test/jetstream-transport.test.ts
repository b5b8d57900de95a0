import { createTestBus, recordingLogger } from '@ticketing/testkit';
import { Bus } from '../src/bus/bus.js';
import { describeTransport } from './transport-contract.js';

describeTransport('NATS JetStream', async () => {
  const testBus = createTestBus();
  const { env } = testBus;
  return {
    member: (name) =>
      Bus.connect(
        { url: env.NATS_URL, name: `transport-${name}`, stream: env.NATS_STREAM, subjectPrefix: env.NATS_SUBJECT_PREFIX, maxBytes: Number(env.NATS_STREAM_MAX_BYTES) },
        recordingLogger().logger,
      ),
    remove: () => testBus.remove(),
  };
});
