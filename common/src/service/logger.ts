import { pino, type DestinationStream, type Logger } from 'pino';
import { currentTraceId } from '../bus/trace.js';

export type { Logger };

/** What an untraced line adds: nothing, and no object made for it (see `mergeTrace`). */
const UNTRACED = Object.freeze({});

/** Every line written inside a trace (a request, an event, an expiry job) carries its id. */
const traceMixin = () => {
  const traceId = currentTraceId();
  return traceId ? { traceId } : UNTRACED;
};

/** pino's own merge (the line's fields over the mixin's), without copying into the shared empty object. */
const mergeTrace = (line: object, mixed: object) => (mixed === UNTRACED ? line : Object.assign(mixed, line));

/**
 * JSON logs on stdout (or `destination`), one line per event, with the service's name on every
 * line and the current trace's id (`traceId`) on every line written inside one, child loggers' too.
 */
export function createLogger(service: string, level = 'info', destination?: DestinationStream): Logger {
  return pino({ name: service, level, base: { service }, mixin: traceMixin, mixinMergeStrategy: mergeTrace }, destination);
}
