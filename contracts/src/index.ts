/**
 * The Ticketing system's contract, shared by every service and the web client
 * (docs/design.md is its prose). Read in this order:
 *
 *   subjects.ts      the ten events' names
 *   events.ts        each event's payload schema
 *   order-status.ts  the states of an order
 *   ticket-status.ts the states of a ticket
 *   money.ts         the price rule that events and the API share
 *   bus.ts           how events travel: stream, consumer names, dead letters and replays, trace ids
 *   requests.ts      the requests one service answers for another (NATS request-reply)
 *   bus-access.ts    which service publishes, consumes, asks and answers which subject (NATS's permissions)
 *   api.ts           the HTTP API's request and response bodies
 *   explorer-feed.ts what the event explorer's stream sends (a development tool's API)
 *
 * Only events.ts, requests.ts and money.ts use zod: a browser page that needs names and types loads none of it.
 */
export { subjects, type Subject } from './subjects.ts';
export { eventSchemas, type EventPayload } from './events.ts';
export { OrderStatus } from './order-status.ts';
export { TicketStatus } from './ticket-status.ts';
export { priceSchema } from './money.ts';
export {
  busDefaults,
  consumerName,
  DEAD_LETTER_PREFIX,
  deadLetterHeaders,
  deadLetterSubject,
  isDeadLetter,
  REPLAY_PREFIX,
  replaySubject,
  serviceOfConsumer,
  streamSubjectFilters,
  traceIdOf,
} from './bus.ts';
export {
  paymentClaimReplySchema,
  paymentClaimRequestSchema,
  requestSubjects,
  type PaymentClaimReply,
  type PaymentClaimRequest,
  type RequestSubject,
} from './requests.ts';
export { busAccess, durablesOf, type BusService } from './bus-access.ts';
export { SANDBOX_PAYMENT_METHODS } from './api.ts';
export { handlersOf, type BusEvent, type ConsumerFloor, type ExplorerHello, type HandledUpdate, type ReaderUpdate } from './explorer-feed.ts';
export type {
  ApiError,
  Credentials,
  CurrentUserResponse,
  ErrorBody,
  Order,
  OrderInput,
  Payment,
  PaymentInput,
  PaymentIntent,
  PaymentIntentInput,
  PaymentIntentStatus,
  SandboxAuthenticateInput,
  SandboxConfirmInput,
  SandboxIntentResult,
  SandboxPaymentMethod,
  Ticket,
  TicketInput,
  User,
} from './api.ts';
