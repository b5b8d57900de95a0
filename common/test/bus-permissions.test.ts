/**
 * NATS with the users and permissions generated from contracts' busAccess: each service can do
 * its own work on the bus and nothing of another's; the explorer only reads; no one anonymous.
 * A server of its own (2.10, as production), its log read for permission violations.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { busAccess, durablesOf, type BusService } from '@ticketing/contracts';
import { inboxPrefixOf, type NatsIdentity } from '@ticketing/devkit/system/nats-auth';
import { natsCredentials, type NatsCredentials } from '@ticketing/devkit/system/nats-credentials';
import { NatsServer } from '@ticketing/devkit/system/nats-server';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Bus, natsConnectionOptions } from '../src/bus/bus.js';
import { dropDeadLetter, listDeadLetters, replayDeadLetter } from '../src/bus/dead-letter-admin.js';

const scope = { stream: 'PERMS', subjectPrefix: 'perm.' };
const services = Object.keys(busAccess) as BusService[];
const quiet = pino({ level: 'silent' });
let dir: string;
let server: NatsServer;
let credentials: NatsCredentials;
const buses: Partial<Record<BusService, Bus>> = {};

const logFile = () => join(dir, 'nats.log');
const violations = () => readFileSync(logFile(), 'utf8').split('\n').filter((l) => /(Publish|Subscription) Violation/.test(l));

function busOf(identity: NatsIdentity, name: string = identity) {
  return Bus.connect(
    { url: server.url, name, ...scope, nkeySeed: credentials.keys[identity].seed, inboxPrefix: inboxPrefixOf(identity), startupWaitMs: 2000 },
    quiet,
  );
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nats-permissions-'));
  credentials = natsCredentials(dir, scope);
  server = await NatsServer.start({
    storeDir: join(dir, 'store'),
    logFile: logFile(),
    configFile: credentials.configFile,
    probeSeed: credentials.keys.admin.seed,
  });
  // Each service as it starts: the stream made or brought up to date, its durable consumers made.
  for (const service of services) {
    const bus = await busOf(service);
    buses[service] = bus;
    for (const subject of busAccess[service].consumes) await bus.ensureConsumer(`${service}-${subject.replaceAll('.', '-')}`, subject, 30_000);
  }
});

afterAll(async () => {
  for (const bus of Object.values(buses)) await bus.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('NATS permissions', () => {
  it('when each service starts, publishes its events, takes and acks its own, dead-letters one and measures the stream, then nothing is refused', async () => {
    for (const service of services) {
      const bus = buses[service]!;
      for (const subject of busAccess[service].publishes) await bus.publish(subject, '{}', { id: `${service}-${subject}` });
    }
    for (const service of services) {
      const bus = buses[service]!;
      for (const durable of durablesOf(service)) {
        const subject = busAccess[service].consumes.find((s) => durable.endsWith(s.replaceAll('.', '-')))!;
        const consumer = await bus.ensureConsumer(durable, subject, 30_000);
        const msg = await consumer.next({ expires: 2000 });
        expect(msg?.subject, durable).toBe(`perm.${subject}`);
        await msg!.ackAck();
        await bus.publish(`deadletter.${durable}.${subject}`, '{}', { id: `dead-${durable}` });
      }
      await bus.jsm.streams.info(scope.stream);
    }
    expect(violations()).toEqual([]);
  });

  it('when orders publishes payment.created, then the server refuses it and the stream does not get it', async () => {
    await expect(
      buses.orders!.js.publish('perm.payment.created', '{}', { msgID: 'forged-payment', timeout: 2000 }),
    ).rejects.toThrow();
    const admin = await busOf('admin');
    const stored = await admin.jsm.streams.getMessage(scope.stream, { last_by_subj: 'perm.payment.created' });
    expect(stored?.header.get('Nats-Msg-Id')).toBe('payments-payment.created');
    await admin.close();
    expect(violations().some((l) => l.includes('perm.payment.created'))).toBe(true);
  });

  it("when orders dead-letters under tickets' consumer, or publishes a replay, then it is refused", async () => {
    await expect(buses.orders!.js.publish('perm.deadletter.tickets-order-created.order.created', '{}', { timeout: 2000 })).rejects.toThrow();
    await expect(buses.orders!.js.publish('perm.replay.orders-ticket-created.ticket.created', '{}', { timeout: 2000 })).rejects.toThrow();
  });

  it("when orders uses tickets' durable consumer (info, pull, ack, re-create), then each is refused", async () => {
    const orders = buses.orders!;
    await expect(orders.jsm.consumers.info(scope.stream, 'tickets-order-created')).rejects.toThrow();
    await expect(
      orders.jsm.consumers.add(scope.stream, { durable_name: 'tickets-order-created', ack_policy: AckPolicy.Explicit, filter_subject: 'perm.order.created' }),
    ).rejects.toThrow();
    await expect(orders.jsm.consumers.delete(scope.stream, 'tickets-order-created')).rejects.toThrow();
    expect(violations().some((l) => l.includes('CONSUMER.INFO.PERMS.tickets-order-created'))).toBe(true);
  });

  it('when admin lists, replays and drops dead letters, then it may; when a service lists them, then it may not', async () => {
    const admin = await busOf('admin');
    try {
      const letters = await listDeadLetters(admin, { consumer: 'orders-ticket-created' });
      expect(letters.map((l) => l.consumer)).toEqual(['orders-ticket-created']);
      await replayDeadLetter(admin, letters[0]!);
      await dropDeadLetter(admin, letters[0]!);
      expect(await listDeadLetters(admin, { consumer: 'orders-ticket-created' })).toEqual([]);
    } finally {
      await admin.close();
    }
    await expect(listDeadLetters(buses.orders!)).rejects.toThrow();
  });

  it('when payments asks orders.payment-claim, then orders answers it; when tickets asks or payments answers, then it is refused', async () => {
    const answering = buses.orders!.nc.subscribe('perm.orders.payment-claim', { queue: 'orders', callback: (_err, msg) => void msg.respond('{"outcome":"granted"}') });
    await buses.orders!.nc.flush();
    const reply = await buses.payments!.nc.request('perm.orders.payment-claim', '{}', { timeout: 2000 });
    expect(reply.json()).toEqual({ outcome: 'granted' });
    answering.unsubscribe();

    await expect(buses.tickets!.nc.request('perm.orders.payment-claim', '{}', { timeout: 1000 })).rejects.toThrow();
    const forged = buses.payments!.nc.subscribe('perm.orders.payment-claim', { callback: () => undefined });
    await buses.payments!.nc.flush();
    await expect(forged.closed).resolves.toBeInstanceOf(Error);
    expect(violations().some((l) => l.includes('Publish Violation') && l.includes('perm.orders.payment-claim'))).toBe(true);
  });

  it("when a service subscribes to another's reply inbox, then it is refused", async () => {
    const nc = await connect({ ...natsConnectionOptions({ url: server.url, name: 'orders', nkeySeed: credentials.keys.orders.seed }) });
    const sub = nc.subscribe('_INBOX_payments.>', { callback: () => undefined });
    await nc.flush();
    await expect(sub.closed).resolves.toBeInstanceOf(Error);
    await nc.close();
  });

  it('when a client connects without credentials, or with a key the server does not know, then it is refused', async () => {
    await expect(connect({ servers: server.url, reconnect: false, timeout: 2000 })).rejects.toThrow(/Authorization/i);
    const stranger = 'SUAIBDPBAUTWCWBKIO6XHQNINK5FWJW4OHLXC3HQ2KFE4PEJUA44CNHTC4';
    await expect(connect({ ...natsConnectionOptions({ url: server.url, name: 'x', nkeySeed: stranger }), reconnect: false })).rejects.toThrow(/Authorization/i);
  });

  it("when the explorer reads the stream, then it may; when it publishes an event or pulls a service's consumer, then it may not", async () => {
    const nc = await connect({
      ...natsConnectionOptions({ url: server.url, name: 'explorer', nkeySeed: credentials.keys.explorer.seed, inboxPrefix: inboxPrefixOf('explorer') }),
    });
    try {
      const jsm = await jetstreamManager(nc);
      const info = await jsm.streams.info(scope.stream);
      expect(info.state.messages).toBeGreaterThan(0);
      const names: string[] = [];
      for await (const ci of jsm.consumers.list(scope.stream)) names.push(ci.name);
      expect(names).toContain('orders-ticket-created');
      const ordered = await jetstream(nc).consumers.get(scope.stream, { filter_subjects: 'perm.>', deliver_policy: DeliverPolicy.All });
      const first = await ordered.next({ expires: 2000 });
      expect(first?.subject).toMatch(/^perm\./);
      await ordered.delete();

      const js = jetstream(nc);
      await expect(js.publish('perm.ticket.created', '{}', { timeout: 2000 })).rejects.toThrow();
      await expect(js.publish('perm.replay.orders-ticket-created.ticket.created', '{}', { timeout: 2000 })).rejects.toThrow();
      const durable = await js.consumers.get(scope.stream, 'orders-ticket-created');
      await expect(durable.next({ expires: 1000 })).rejects.toThrow();
      await expect(jsm.consumers.delete(scope.stream, 'orders-ticket-created')).rejects.toThrow();
      await expect(jsm.streams.purge(scope.stream)).rejects.toThrow();
    } finally {
      await nc.close();
    }
  });
});
