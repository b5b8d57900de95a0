import { Router } from 'express';
import supertest from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, publishTestEvent, type LogRecord, type TestService } from '@ticketing/testkit';
import { defineListener } from '../src/bus/listener.js';
import { currentTraceparent, runWithTrace } from '../src/bus/trace.js';
import type { BaseConfig } from '../src/config/env.js';
import { createServiceApp } from '../src/service/create-app.js';
import { createLogger } from '../src/service/logger.js';
import { PeriodicWorker } from '../src/service/worker.js';
import { startFixtureService } from './fixtures/service.js';
import { ticketCreated } from './fixtures/widgets.js';

const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const traceparent = `00-${traceId}-00f067aa0ba902b7-01`;

/** The services' own logger, writing to a list instead of stdout. */
function serviceLogger() {
  const records: LogRecord[] = [];
  const logger = createLogger('fixture', 'debug', { write: (line: string) => void records.push(JSON.parse(line) as LogRecord) });
  return { logger, records };
}
const withMessage = (records: LogRecord[], msg: string) => records.filter((r) => r.msg === msg);

let t: TestService<BaseConfig> | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('trace ids in the logs', () => {
  it('when a line is written inside a trace, then it carries the trace id, child loggers too; outside, none', () => {
    const { logger, records } = serviceLogger();
    logger.info('before');
    runWithTrace(traceparent, () => {
      logger.info({ orderId: 'o1' }, 'inside');
      logger.child({ part: 'child' }).warn('inside, child');
    });
    logger.info('after');

    expect(records.map((r) => [r.msg, r.traceId])).toEqual([
      ['before', undefined],
      ['inside', traceId],
      ['inside, child', traceId],
      ['after', undefined],
    ]);
    expect(records[0]).not.toHaveProperty('traceId');
    expect(records[1]).toMatchObject({ service: 'fixture', orderId: 'o1' });
  });

  it('when a line is written in a new trace (no traceparent given), then it carries that new trace id', () => {
    const { logger, records } = serviceLogger();
    runWithTrace(undefined, () => logger.info('new'));
    expect(records[0]?.traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it("when an event arrives with a traceparent, then its listener's lines carry the trace id, a retry's warning too", async () => {
    const { logger, records } = serviceLogger();
    t = await startFixtureService(undefined, 'fixture', logger);
    let calls = 0;
    await t.listen([
      defineListener('ticket.created', async (_event, { log }) => {
        log.info('handling');
        if (++calls === 1) throw new Error('not yet');
      }),
    ]);
    await publishTestEvent(t.bus, 'ticket.created', ticketCreated(), { traceparent });

    await eventually(() => withMessage(records, 'handling').length === 2, { what: 'two deliveries' });
    const lines = [...withMessage(records, 'handling'), ...withMessage(records, 'event handling failed; will retry')];
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line.traceId).toBe(traceId);
  });

  it('when a request carries a traceparent, then its request line carries the trace id', async () => {
    const { logger, records } = serviceLogger();
    t = await startFixtureService(undefined, 'fixture', logger);
    const routes = Router().post('/api/things', (_req, res) => {
      res.status(201).json({});
    });
    const http = supertest(createServiceApp(t.service, routes));

    await http.post('/api/things').set('traceparent', traceparent).expect(201);
    await http.post('/api/things').expect(201);

    const requests = withMessage(records, 'request completed');
    expect(requests).toHaveLength(2);
    expect(requests[0]?.traceId).toBe(traceId);
    // Without one, the request starts a trace of its own.
    expect(requests[1]?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(requests[1]?.traceId).not.toBe(traceId);
  });

  it('when a background worker is kicked from inside a trace, then its pass and its lines are in no trace', async () => {
    const { logger, records } = serviceLogger();
    let seen: string | undefined = 'not run';
    const worker = new PeriodicWorker(
      'fixtureWorker',
      async () => {
        seen = currentTraceparent();
        throw new Error('the bus is away');
      },
      { intervalMs: 60_000, logger },
    );
    runWithTrace(traceparent, () => worker.kick());
    await worker.idle();

    expect(seen).toBeUndefined();
    expect(withMessage(records, 'pass failed; will retry').map((r) => r.traceId)).toEqual([undefined]);
    await worker.stop();
  });
});
