import 'server-only';

/**
 * The explorer streams open in this server process, bounded in number and in life
 * (streamLimits). A server-sent events response never ends by itself, and Next's graceful
 * shutdown on SIGTERM/SIGINT closes the HTTP server, which waits for every open connection: so
 * each open stream is ended when the process is told to stop, and a stream asked for after that
 * ends at once.
 */
interface OpenStreams {
  ends: Set<() => void>;
  stopping: boolean;
}

// On globalThis: route modules can be loaded more than once, the signal listeners must not be.
const holder = globalThis as typeof globalThis & { ticketingOpenStreams?: OpenStreams };

function openStreams(): OpenStreams {
  if (holder.ticketingOpenStreams) return holder.ticketingOpenStreams;
  const streams: OpenStreams = { ends: new Set(), stopping: false };
  const endAll = () => {
    streams.stopping = true;
    for (const end of streams.ends) end();
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    // Only beside a handler that stops the server (Next's own, unless NEXT_MANUAL_SIG_HANDLE
    // is set): a listener alone would cancel the signal's default of ending the process.
    if (process.listenerCount(signal) > 0) process.on(signal, endAll);
  }
  holder.ticketingOpenStreams = streams;
  return streams;
}

/**
 * Admits one more stream unless `max` are open: each holds a NATS consumer and a connection, so
 * the number of viewers must not grow without bound. Once admitted, `end` is called when the
 * server is told to stop (at once if it already is). Returns the way to forget it, or
 * undefined when the stream is refused.
 */
export function admitStream(end: () => void, max: number): (() => void) | undefined {
  const streams = openStreams();
  if (streams.stopping) {
    end();
    return () => {};
  }
  if (streams.ends.size >= max) return undefined;
  streams.ends.add(end);
  return () => streams.ends.delete(end);
}

/**
 * EVENT_EXPLORER_MAX_STREAMS (default 8): open streams per client process, beyond which the feed
 * answers 503. EVENT_EXPLORER_STREAM_SECONDS (default 1800): a stream's longest life; the page's
 * EventSource then reconnects and resumes where it was, so a viewer that is gone without
 * closing (a proxy that keeps the connection) holds a place for half an hour at most.
 */
export function streamLimits(env: NodeJS.ProcessEnv = process.env) {
  const positive = (value: string | undefined, fallback: number) => {
    const n = Number(value);
    return Number.isSafeInteger(n) && n > 0 ? n : fallback;
  };
  return {
    maxStreams: positive(env.EVENT_EXPLORER_MAX_STREAMS, 8),
    maxSeconds: positive(env.EVENT_EXPLORER_STREAM_SECONDS, 1800),
  };
}
