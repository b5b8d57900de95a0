import { DEAD_LETTER_PREFIX, isDeadLetter, type BusEvent } from '@ticketing/contracts';

// The feed's messages are the contract's (contracts/src/explorer-feed.ts): the checkpoints read them too.
export { handlersOf, type BusEvent, type ConsumerFloor, type ExplorerHello, type HandledUpdate, type ReaderUpdate } from '@ticketing/contracts';

/** The filter: a subject (exact, or `deadletter` for every dead letter) and text found anywhere in the payload or ids. */
export function matchesFilter(event: BusEvent, filter: { subject: string; text: string }): boolean {
  if (filter.subject) {
    if (filter.subject === DEAD_LETTER_PREFIX ? !isDeadLetter(event.subject) : event.subject !== filter.subject) {
      return false;
    }
  }
  const text = filter.text.trim().toLowerCase();
  if (!text) return true;
  const haystack = [
    typeof event.payload === 'string' ? event.payload : JSON.stringify(event.payload),
    event.headers['Nats-Msg-Id'] ?? '',
    event.headers['traceparent'] ?? '',
  ]
    .join('\n')
    .toLowerCase();
  return haystack.includes(text);
}
