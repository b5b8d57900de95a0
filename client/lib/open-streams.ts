import 'server-only';

/**
 * The explorer streams open in this server process. A server-sent events response never ends
 * by itself, and Next's graceful shutdown on SIGTERM/SIGINT closes the HTTP server, which
 * waits for every open connection: so each open stream is ended when the process is told to
 * stop, and a stream asked for after that ends at once.
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

/** Calls `end` when the server is told to stop (at once if it already is); returns the way to forget it. */
export function endOnShutdown(end: () => void): () => void {
  const streams = openStreams();
  if (streams.stopping) {
    end();
    return () => {};
  }
  streams.ends.add(end);
  return () => streams.ends.delete(end);
}
