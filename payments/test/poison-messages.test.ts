import { consumerName } from '@ticketing/contracts';
import { eventually, expectDeadLettered, publishPoison, publishTestEvent, recordingLogger } from '@ticketing/testkit';
import { afterEach, describe, it } from 'vitest';
import { listeners } from '../src/events/listeners.js';
import { anOrder, replicaOf, replicate, type Payments } from './helpers.js';
import { startPayments } from './setup.js';

let t: Payments | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const subjects = ['order.created', 'order.updated', 'order.cancelled', 'order.completed'] as const;

describe('poison messages in the payments service', () => {
  it('when every subject it listens to gets an event that is not JSON and one off the contract, then each is dead-lettered, logged and counted, and the valid events behind them are applied', async () => {
    const { logger, records } = recordingLogger();
    t = await startPayments({ logger });
    await t.listen(listeners);
    const poison = Object.fromEntries(await Promise.all(subjects.map(async (s) => [s, await publishPoison(t!.bus, s)] as const)));

    const toCancel = await replicate(t, anOrder());
    const toComplete = await replicate(t, anOrder());
    await publishTestEvent(t.bus, 'order.cancelled', { id: toCancel.id, version: 1, ticket: { id: toCancel.ticket.id } });
    await publishTestEvent(t.bus, 'order.completed', { id: toComplete.id, version: 1, ticket: { id: toComplete.ticket.id } });

    await eventually(async () => (await replicaOf(t!, toCancel.id))?.status === 'cancelled', { what: 'order.cancelled applied' });
    await eventually(async () => (await replicaOf(t!, toComplete.id))?.status === 'complete', { what: 'order.completed applied' });
    for (const subject of subjects) {
      const { notJson, offContract } = poison[subject]!;
      await expectDeadLettered(t, records, { consumer: consumerName('payments', subject), subject }, [notJson, offContract]);
    }
  });
});
