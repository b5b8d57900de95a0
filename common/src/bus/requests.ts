import type { RequestSubject } from '@ticketing/contracts';
import type { z } from 'zod';
import type { ServiceContext } from '../service/context.js';
import type { Worker } from '../service/worker.js';
import type { Answering, EventTransport, Reply, Request } from './transport.js';

/** No replica answered in time (none running, or all busy): the asker's request fails, nothing was decided. */
export class RequestUnanswered extends Error {
  constructor(subject: string, cause: unknown) {
    super(`no answer to ${subject}`, { cause });
  }
}

/**
 * Asks `subject` (docs/design.md §4, Requests) and waits for one replica's answer, at most `timeoutMs`.
 * An answer that does not fit `reply` is as good as none.
 */
export async function ask<T>(bus: EventTransport, subject: RequestSubject, body: unknown, reply: z.ZodType<T>, timeoutMs: number): Promise<T> {
  let msg: Reply;
  try {
    msg = await bus.request(subject, JSON.stringify(body), timeoutMs);
  } catch (err) {
    throw new RequestUnanswered(subject, err);
  }
  const parsed = reply.safeParse(safeJson(msg));
  if (!parsed.success) throw new RequestUnanswered(subject, parsed.error);
  return parsed.data;
}

/**
 * Answers `subject` in this replica: one replica of the service gets each request (a queue
 * group), and requests are handled concurrently. A request that does not fit `schema` gets
 * `{error}`, and so does one whose handling failed (the asker treats both as no answer).
 * A worker, so `/readyz` follows it and shutdown drains it (requests in hand are answered).
 */
export function answerRequests<Q, R>(
  service: ServiceContext,
  subject: RequestSubject,
  schema: z.ZodType<Q>,
  handle: (request: Q) => Promise<R>,
): Worker {
  let answering: Answering | undefined;
  const inFlight = new Set<Promise<void>>();
  const respond = async (msg: Request) => {
    const parsed = schema.safeParse(safeJson(msg));
    if (!parsed.success) {
      msg.respond(JSON.stringify({ error: 'invalid request' }));
      return;
    }
    try {
      msg.respond(JSON.stringify(await handle(parsed.data)));
    } catch (err) {
      service.logger.error({ err, subject }, 'request failed');
      msg.respond(JSON.stringify({ error: 'request failed' }));
    }
  };
  return {
    name: `answer ${subject}`,
    get running() {
      return answering !== undefined && !answering.closed;
    },
    async start() {
      answering = service.bus.answer(subject, service.name, (msg) => {
        const done = respond(msg).finally(() => inFlight.delete(done));
        inFlight.add(done);
      });
    },
    async stop() {
      await answering?.drain();
      await Promise.all(inFlight);
    },
  };
}

function safeJson(msg: Reply): unknown {
  try {
    return msg.json();
  } catch {
    return undefined;
  }
}
