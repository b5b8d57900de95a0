/**
 * Test kit: real PostgreSQL and the real NATS server, isolated per test file. Each file
 * gets its own database, and its own stream and subject prefix, so parallel files, other
 * services' tests and a running `npm start` never see each other's data or events.
 */
export { NATS_URL, createTestBus, type TestBus } from './bus.js';
export { createTestDatabase, type TestDatabase } from './database.js';
export { aUser, sessionCookie, testKeys } from './users.js';
export { createTestService, fastListenerOptions, type TestService } from './service.js';
export { publishedEvents, readStream } from './stream.js';
export { eventually } from './eventually.js';
export { publishTestEvent } from './publish.js';
export { handleNextWithLostAck } from './lost-ack.js';
export { jetStreamOf } from './jetstream-of.js';
export { recordingLogger, type LogRecord } from './logs.js';
export { expectErrors } from './http.js';
export { expectDeadLettered, publishPoison } from './poison.js';
export {
  cardDeclined,
  chargeReply,
  fakeStripe,
  gate,
  startStripeStandIn,
  type FakeStripe,
  type LedgerCharge,
  type Responder,
  type StandInReply,
  type StripeRequest,
  type StripeStandIn,
} from './stripe-stand-in.js';
export { alreadyRefunded } from './stripe-replies.js';
export {
  TEST_PAYMENT_METHODS,
  authenticationFailedError,
  cardDeclinedError,
  fakeIntents,
  intentObject,
  type FakeIntents,
  type IntentObject,
  type IntentStatus,
  type LedgerIntent,
  type PaymentError,
  type TestPaymentMethod,
} from './stripe-intents.js';
export { intentEvent, signedWebhook, type IntentEventType } from './stripe-webhooks.js';
export { shutOffDatabase } from './outage.js';
export { metricValue, scrapeMetrics } from './metrics.js';
export { acceptsConnection } from './net.js';
