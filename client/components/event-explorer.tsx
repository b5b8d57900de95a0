'use client';

import { memo, useCallback, useDeferredValue, useEffect, useId, useMemo, useState, type ReactNode } from 'react';
import { DEAD_LETTER_PREFIX, deadLetterHeaders, isDeadLetter, subjects as contractSubjects, traceIdOf } from '@ticketing/contracts';
import {
  handlersOf,
  matchesFilter,
  type BusEvent,
  type ConsumerFloor,
  type ExplorerHello,
  type HandledUpdate,
  type ReaderUpdate,
} from '@/lib/bus-events';
import { queryFromView, type ExplorerView, type History } from '@/lib/explorer-view';
import { REDACTED } from '@/lib/explorer-redaction';
import { formatPrice } from '@/lib/format';

type Connection = 'connecting' | 'loading' | 'live' | 'reconnecting' | 'problem';
/** What the page shows: its own connection, or, while that is open, that the server has lost the bus. */
type Shown = Connection | 'bus-lost';

/** Events kept in the page; older ones are dropped as new ones arrive. */
const MAX_KEPT = 10_000;
/** Rows rendered at once; the filter narrows the rest down. */
const MAX_SHOWN = 500;
/** Events arriving together are added to the page together. */
const BATCH_MS = 50;

/**
 * The live timeline of /events. An EventSource on /api/events/stream delivers the stream's
 * events (history first, then live) and the durable consumers' ack floors; each event shows
 * the services that listen to its subject, marked once their consumer has acknowledged it.
 */
export function EventExplorer({ initialView, stream }: { initialView: ExplorerView; stream: string }) {
  const [view, setView] = useState(initialView);
  const [events, setEvents] = useState<BusEvent[]>([]);
  const [consumers, setConsumers] = useState<ConsumerFloor[]>([]);
  const [connection, setConnection] = useState<Connection>('connecting');
  // The server's reader, as it says (`reader` events): the page guesses nothing from timers.
  const [reading, setReading] = useState(true);
  const [problem, setProblem] = useState<string | null>(null);
  const [hello, setHello] = useState<ExplorerHello | null>(null);
  const text = useDeferredValue(view.text);
  const update = (change: Partial<ExplorerView>) => setView((v) => ({ ...v, ...change }));
  const filterBy = useCallback((value: string) => setView((v) => ({ ...v, text: value })), []);

  // The view lives in the query string, so a filtered timeline can be reloaded or shared.
  useEffect(() => {
    const qs = queryFromView(view);
    window.history.replaceState(window.history.state, '', qs ? `?${qs}` : window.location.pathname);
  }, [view]);

  // One EventSource per history choice; it reconnects by itself, resuming after the last event.
  useEffect(() => {
    setEvents([]);
    setConnection('connecting');
    setProblem(null);
    const source = new EventSource(`/api/events/stream?last=${view.history}`);
    let batch: BusEvent[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const flush = () => {
      timer = undefined;
      const arrived = batch;
      batch = [];
      setEvents((kept) => append(kept, arrived));
    };
    source.addEventListener('hello', (e) => {
      setHello(JSON.parse(e.data) as ExplorerHello);
      setReading(true);
      setProblem(null);
      setConnection((c) => (c === 'live' ? c : 'loading'));
    });
    source.addEventListener('bus-event', (e) => {
      batch.push(JSON.parse(e.data) as BusEvent);
      timer ??= setTimeout(flush, BATCH_MS);
    });
    source.addEventListener('handled', (e) => setConsumers((JSON.parse(e.data) as HandledUpdate).consumers));
    source.addEventListener('caught-up', () => setConnection('live'));
    source.addEventListener('reader', (e) => setReading((JSON.parse(e.data) as ReaderUpdate).reading));
    source.addEventListener('problem', (e) => {
      setProblem(`${(JSON.parse(e.data) as { message: string }).message} Trying again…`);
      setConnection('problem');
    });
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) {
        // Refused outright (e.g. the explorer was turned off): the browser will not retry.
        setProblem('The event stream is not available. Reload the page to try again.');
        setConnection('problem');
      } else {
        setConnection((c) => (c === 'problem' ? c : 'reconnecting'));
      }
    };
    return () => {
      source.close();
      clearTimeout(timer);
    };
  }, [view.history]);

  const subjects = useMemo(() => {
    const seen = new Set<string>(contractSubjects);
    for (const e of events) if (!isDeadLetter(e.subject)) seen.add(e.subject);
    return [...seen];
  }, [events]);

  const matching = useMemo(() => events.filter((e) => matchesFilter(e, { subject: view.subject, text })), [events, view.subject, text]);
  const shown = useMemo(() => {
    const newest = matching.slice(-MAX_SHOWN);
    return view.order === 'newest' ? newest.reverse() : newest;
  }, [matching, view.order]);
  const filtering = Boolean(view.subject || view.text.trim());
  const state: Shown = !reading && (connection === 'loading' || connection === 'live') ? 'bus-lost' : connection;

  return (
    <div className="explorer">
      <div className="page-heading">
        <div>
          <p className="eyebrow">Development tool</p>
          <h1>Event explorer</h1>
        </div>
        <p className={`connection connection-${state}`} role="status">
          <span className="connection-dot" aria-hidden="true" />
          {connectionLabel[state]}
        </p>
      </div>
      <p className="lead">
        Every event on the bus (stream <code>{hello?.stream ?? stream}</code>) as it happens. Under each one, the services that
        listen to its subject: <span className="handler handler-done">✓ handled</span> once that service’s durable consumer has
        acknowledged it, <span className="handler handler-waiting">waiting</span> until then. Click an id to follow one order or
        ticket through the services.
      </p>

      {problem && (
        <p className="notice notice-error explorer-problem" role="alert">
          {problem}
        </p>
      )}
      {state === 'bus-lost' && (
        <p className="notice notice-warning explorer-problem">
          The server cannot reach the bus (NATS) right now and keeps trying. The timeline carries on where it stopped once
          NATS is back.
        </p>
      )}

      <form className="card explorer-filters" role="search" aria-label="Filter events" onSubmit={(e) => e.preventDefault()}>
        <FilterField label="Order, ticket or any id" hint="Matched anywhere in the payload, and in trace ids.">
          {(id, hintId) => (
            <input
              id={id}
              type="search"
              value={view.text}
              onChange={(e) => update({ text: e.target.value })}
              placeholder="e.g. an order id"
              aria-describedby={hintId}
              autoComplete="off"
              spellCheck={false}
            />
          )}
        </FilterField>
        <FilterField label="Subject">
          {(id) => (
            <select id={id} value={view.subject} onChange={(e) => update({ subject: e.target.value })}>
              <option value="">All subjects</option>
              {subjects.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
              <option value={DEAD_LETTER_PREFIX}>dead letters</option>
            </select>
          )}
        </FilterField>
        <FilterField label="History">
          {(id) => (
            <select id={id} value={view.history} onChange={(e) => update({ history: e.target.value as History })}>
              <option value="100">last 100 events</option>
              <option value="500">last 500 events</option>
              <option value="2000">last 2,000 events</option>
              <option value="all">everything in the stream</option>
            </select>
          )}
        </FilterField>
        <FilterField label="Order">
          {(id) => (
            <select id={id} value={view.order} onChange={(e) => update({ order: e.target.value as ExplorerView['order'] })}>
              <option value="newest">newest first</option>
              <option value="oldest">oldest first</option>
            </select>
          )}
        </FilterField>
        {filtering && (
          <button type="button" className="button button-ghost explorer-clear" onClick={() => update({ text: '', subject: '' })}>
            Clear filter
          </button>
        )}
      </form>

      <p className="explorer-count muted" data-testid="event-count">
        {filtering ? `${matching.length} of ${events.length} events match` : `${events.length} events`}
        {matching.length > MAX_SHOWN && ` · showing the newest ${MAX_SHOWN}`}
      </p>

      {shown.length === 0 ? (
        <div className="empty">
          {connection === 'connecting' || connection === 'loading' ? (
            <p>Reading the stream…</p>
          ) : filtering ? (
            <p>No events match the filter yet. They appear here as they happen.</p>
          ) : (
            <p>No events yet. Sell a ticket or buy one, and watch them arrive.</p>
          )}
        </div>
      ) : (
        <ol className="event-list" aria-label="Events">
          {shown.map((event) => {
            const { listeners, handledBy } = handlersOf(event, consumers);
            return (
              <EventRow
                key={event.seq}
                event={event}
                listeners={listeners.join(' ')}
                handledBy={handledBy.join(' ')}
                onFilter={filterBy}
              />
            );
          })}
        </ol>
      )}
    </div>
  );
}

const connectionLabel: Record<Shown, string> = {
  connecting: 'Connecting…',
  loading: 'Loading history…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  'bus-lost': 'Reconnecting to the bus…',
  problem: 'Bus unavailable',
};

/** New events after the last one kept (a reconnect resumes there, so nothing repeats), newest MAX_KEPT only. */
function append(kept: BusEvent[], arrived: BusEvent[]): BusEvent[] {
  const lastSeq = kept.at(-1)?.seq ?? 0;
  const fresh = arrived.filter((e) => e.seq > lastSeq);
  if (fresh.length === 0) return kept;
  const all = kept.concat(fresh);
  return all.length > MAX_KEPT ? all.slice(-MAX_KEPT) : all;
}

function FilterField({
  label,
  hint,
  children,
}: {
  label: string;
  hint?: string;
  children: (id: string, hintId: string | undefined) => ReactNode;
}) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children(id, hintId)}
      {hint && (
        <p id={hintId} className="field-hint">
          {hint}
        </p>
      )}
    </div>
  );
}

/** One event: subject, sequence, time, the ids it mentions, its handlers, and its payload and headers. */
const EventRow = memo(function EventRow({
  event,
  listeners,
  handledBy,
  onFilter,
}: {
  event: BusEvent;
  /** Space-separated service names (strings, so an unchanged row is not rendered again). */
  listeners: string;
  handledBy: string;
  onFilter: (value: string) => void;
}) {
  const family = familyOf(event.subject);
  const handled = new Set(handledBy.split(' ').filter(Boolean));
  const services = listeners.split(' ').filter(Boolean);
  const traceId = traceIdOf(event.headers['traceparent']);
  const { ids, facts } = describe(event);
  return (
    <li className={`event event-${family}`} data-subject={event.subject} data-seq={event.seq}>
      <div className="event-head">
        <span className={`event-subject subject-${family}`}>{event.subject}</span>
        <span className="event-seq">
          <span className="visually-hidden">stream sequence </span>#{event.seq}
        </span>
        <time className="event-time" dateTime={event.time} title={event.time}>
          {formatTime(event.time)}
        </time>
      </div>

      {(ids.length > 0 || facts.length > 0) && (
        <p className="event-summary">
          {ids.map(({ kind, id }) => (
            <button
              key={`${kind}-${id}`}
              type="button"
              className="id-chip"
              onClick={() => onFilter(id)}
              title={`Show only the events that mention ${kind} ${id}`}
            >
              <span className="id-kind">{kind}</span> <span className="id-value">{id.slice(0, 8)}</span>
              <span className="visually-hidden">{id.slice(8)}, show only its events</span>
            </button>
          ))}
          {facts.length > 0 && <span className="event-facts">{facts.join(' · ')}</span>}
        </p>
      )}

      <div className="event-handlers">
        <span className="event-handlers-label">{services.length > 0 ? 'Listeners' : 'No listeners'}</span>
        {services.length > 0 && (
          <ul className="handler-list">
            {services.map((service) => {
              const done = handled.has(service);
              return (
                <li
                  key={service}
                  className={`handler ${done ? 'handler-done' : 'handler-waiting'}`}
                  data-service={service}
                  data-state={done ? 'handled' : 'waiting'}
                  title={done ? `${service} has handled this event` : `${service} has not handled this event yet`}
                >
                  <span aria-hidden="true">{done ? '✓ ' : ''}</span>
                  {service}
                  <span className="visually-hidden">{done ? ': handled' : ': not handled yet'}</span>
                </li>
              );
            })}
          </ul>
        )}
      </div>

      <details className="event-details">
        <summary>Payload and headers</summary>
        <pre className="event-payload">
          <code>{typeof event.payload === 'string' ? event.payload : JSON.stringify(event.payload, null, 2)}</code>
        </pre>
        <dl className="event-headers">
          {Object.entries(event.headers).map(([name, value]) => (
            <div key={name}>
              <dt>{name}</dt>
              <dd>
                <code>{value}</code>
                {name === 'traceparent' && traceId && (
                  <button type="button" className="link-button" onClick={() => onFilter(traceId)}>
                    follow this trace
                  </button>
                )}
              </dd>
            </div>
          ))}
        </dl>
      </details>
    </li>
  );
});

/** The first words of the contract's subjects (`ticket`, `order`, ...) and `deadletter`: each has its colour. */
const FAMILIES = new Set([...contractSubjects.map((s) => s.split('.')[0]), DEAD_LETTER_PREFIX]);

/** The subject's family, or `other`. */
function familyOf(subject: string): string {
  const word = subject.split('.')[0] ?? '';
  return FAMILIES.has(word) ? word : 'other';
}

type Payload = Record<string, unknown> & { ticket?: Record<string, unknown> };

/** The ids an event mentions (each a filter), and a few facts worth seeing without opening it. */
function describe(event: BusEvent): { ids: { kind: string; id: string }[]; facts: string[] } {
  const ids: { kind: string; id: string }[] = [];
  const facts: string[] = [];
  if (!event.payload || typeof event.payload !== 'object') return { ids, facts };
  const p = event.payload as Payload;
  const family = familyOf(event.subject);
  const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
  // A hidden id (a payment's) is nothing to filter by: it is not offered as a chip.
  const own = p.id === REDACTED ? undefined : str(p.id);
  if (own) ids.push({ kind: family === DEAD_LETTER_PREFIX || family === 'other' ? 'id' : family, id: own });
  const orderId = str(p.orderId);
  if (orderId) ids.push({ kind: 'order', id: orderId });
  const ticketId = str(p.ticket?.id);
  if (ticketId) ids.push({ kind: 'ticket', id: ticketId });
  if (typeof p.version === 'number') facts.push(`version ${p.version}`);
  // A ticket's status (available, reserved, sold); a ticket event from before it had one says it by orderId.
  const ticketStatus = family === 'ticket' && 'orderId' in p ? (p.orderId === null ? 'available' : 'reserved') : undefined;
  const status = str(p.status) ?? ticketStatus;
  if (status) facts.push(status);
  const price = typeof p.price === 'number' ? p.price : typeof p.ticket?.price === 'number' ? p.ticket.price : undefined;
  if (price !== undefined) facts.push(formatPrice(price));
  if (str(p.title)) facts.push(`“${String(p.title)}”`);
  const reason = event.headers[deadLetterHeaders.reason];
  if (reason) facts.push(`failed: ${reason}`);
  return { ids, facts };
}

/** 14:03:07.412, in the viewer's time zone. */
function formatTime(iso: string): string {
  const d = new Date(iso);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}
