import { busAccess, consumerName, subjects } from '@ticketing/contracts';
import { fail, type Check } from '../check.js';

/** Chapters 10, 12 and 14: the durable consumers, one per service and subject, and how far each has got. */

/** An event younger than this may still be on its way through a healthy listener. */
const SETTLE_MS = 10_000;

export const durableConsumers: Check = {
  id: 'durable-consumers',
  title: 'one durable consumer per service and subject, named <service>-<subject> (the durable name and queue group of the NATS Streaming version)',
  guide: ['10-from-nats-streaming.md', 'The bus'],
  async run(shop) {
    const bus = await shop.bus();
    const names = bus.consumers.map((c) => c.name);
    const expected = Object.entries(busAccess).flatMap(([service, access]) => access.consumes.map((subject) => consumerName(service, subject)));
    const missing = expected.filter((name) => !names.includes(name));
    if (missing.length) fail(`no durable consumer ${missing.join(', ')}: has each service started with all its listeners (<service>/src/events/listeners.ts)?`);
    const twice = names.filter((name, i) => names.indexOf(name) !== i);
    if (twice.length) fail(`consumers listed twice: ${twice.join(', ')}`);
    return `${expected.length} consumers`;
  },
};

export const caughtUp: Check = {
  id: 'caught-up',
  title: 'every listening service has handled every recent event older than 10 s: none waits for a service that is down or stuck',
  guide: ['12-try-it.md', '1. Kill a service in the middle of a purchase'],
  async run(shop) {
    const bus = await shop.bus();
    const known = new Set<string>(subjects);
    const settled = bus.events.filter((e) => known.has(e.subject) && Date.now() - Date.parse(e.time) > SETTLE_MS);
    const behind = new Map<string, { count: number; oldest: (typeof settled)[number] }>();
    for (const event of settled) {
      const { listeners, handledBy } = bus.handlers(event);
      for (const service of listeners.filter((s) => !handledBy.includes(s))) {
        const name = consumerName(service, event.subject);
        const entry = behind.get(name) ?? { count: 0, oldest: event };
        entry.count += 1;
        behind.set(name, entry);
      }
    }
    if (behind.size) {
      const lines = [...behind].map(([name, { count, oldest }]) => {
        const age = Math.round((Date.now() - Date.parse(oldest.time)) / 1000);
        return `${name} has not handled ${count} event(s), the oldest ${oldest.subject} #${oldest.seq} from ${age} s ago`;
      });
      fail(`${lines.join('; ')}: is that service running? (its /readyz shows events it keeps retrying)`);
    }
    return `${settled.length} events checked`;
  },
};
