import { consumerName } from '@ticketing/contracts';
import { expectDeadLettered, publishPoison, publishTestEvent, recordingLogger } from '@ticketing/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { inMs, orderCreated, scheduledJob } from './helpers.js';
import { startExpiration, type Expiration } from './setup.js';

let t: Expiration | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('poison messages in the expiration service', () => {
  it('when order.created gets an event that is not JSON and one off the contract, then each is dead-lettered, logged and counted, and the valid order behind them is scheduled', async () => {
    const { logger, records } = recordingLogger();
    t = await startExpiration({ logger });
    await t.listen(t.listeners);
    const poison = await publishPoison(t.bus, 'order.created');
    const order = orderCreated(inMs(60 * 60_000));

    await publishTestEvent(t.bus, 'order.created', order);

    expect((await scheduledJob(t, order.id)).state).toBe('created');
    await expectDeadLettered(t, records, { consumer: consumerName('expiration', 'order.created'), subject: 'order.created' }, [
      poison.notJson,
      poison.offContract,
    ]);
  });
});
