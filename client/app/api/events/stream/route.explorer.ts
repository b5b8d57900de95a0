import type { ReaderUpdate } from '@/lib/bus-events';
import { explorerEnabled } from '@/lib/explorer-config';
import { readBus } from '@/lib/event-bus-reader';
import { admitStream, streamLimits } from '@/lib/open-streams';

/**
 * GET /api/events/stream: the event explorer's feed, as server-sent events (see
 * lib/bus-events.ts for what it sends). `?last=N` (default 500) or `?last=all` chooses the
 * history; a reconnecting EventSource resumes after its Last-Event-ID. 404 unless
 * EVENT_EXPLORER is on; 503 when the process already has EVENT_EXPLORER_MAX_STREAMS open. A
 * stream ends after EVENT_EXPLORER_STREAM_SECONDS, or when the server is told to stop
 * (lib/open-streams.ts). Payment and charge ids never leave the server (lib/explorer-redaction.ts).
 */
export const dynamic = 'force-dynamic';

const DEFAULT_LAST = 500;
const MAX_LAST = 10_000;
const KEEP_ALIVE_MS = 15_000;

export function GET(request: Request) {
  if (!explorerEnabled()) return Response.json({ errors: [{ message: 'Not found' }] }, { status: 404 });

  const lastParam = new URL(request.url).searchParams.get('last');
  const last = lastParam === 'all' ? 'all' : Math.min(MAX_LAST, Math.max(1, Math.trunc(Number(lastParam)) || DEFAULT_LAST));
  const resumeAfter = Number(request.headers.get('last-event-id'));
  const afterSeq = Number.isSafeInteger(resumeAfter) && resumeAfter > 0 ? resumeAfter : undefined;

  const abort = new AbortController();
  const { maxStreams, maxSeconds } = streamLimits();
  const forget = admitStream(() => abort.abort(), maxStreams);
  if (!forget) {
    return Response.json(
      { errors: [{ message: `The event explorer already has ${maxStreams} streams open; try again shortly` }] },
      { status: 503, headers: { 'retry-after': '10' } },
    );
  }
  request.signal.addEventListener('abort', () => abort.abort(), { once: true });
  // Its longest life: the browser's EventSource reconnects and resumes after the last event.
  const lifetime = setTimeout(() => abort.abort(), maxSeconds * 1000);
  abort.signal.addEventListener(
    'abort',
    () => {
      clearTimeout(lifetime);
      forget();
    },
    { once: true },
  );
  const encoder = new TextEncoder();

  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      let open = true;
      const write = (text: string) => {
        if (!open) return;
        try {
          controller.enqueue(encoder.encode(text));
        } catch {
          abort.abort(); // the browser has gone
        }
      };
      const send = (event: string, data: unknown, id?: number) =>
        write(`${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      // Proxies close idle connections; a comment line every few seconds keeps this one open.
      const keepAlive = setInterval(() => write(': keep-alive\n\n'), KEEP_ALIVE_MS);
      const close = () => {
        if (!open) return;
        open = false;
        clearInterval(keepAlive);
        abort.abort(); // lets go of its place among the open streams
        try {
          controller.close();
        } catch {
          // already closed by the runtime
        }
      };
      abort.signal.addEventListener('abort', close, { once: true });
      if (abort.signal.aborted) close(); // the server was already stopping

      write('retry: 2000\n\n');
      readBus(
        { last, afterSeq, signal: abort.signal },
        {
          hello: (hello) => send('hello', hello),
          event: (event) => send('bus-event', event, event.seq),
          handled: (update) => send('handled', update),
          caughtUp: () => send('caught-up', {}),
          reading: (reading) => send('reader', { reading } satisfies ReaderUpdate),
        },
      )
        .catch((err: unknown) => send('problem', { message: err instanceof Error ? err.message : String(err) }))
        .finally(close);
    },
    cancel() {
      abort.abort();
    },
  });

  return new Response(body, {
    headers: {
      'content-type': 'text/event-stream; charset=utf-8',
      // no-transform: no compression, which would hold events back in a buffer.
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
      // Not kept for another request once the stream ends: a stopping server waits for idle
      // kept-alive connections too.
      connection: 'close',
    },
  });
}
