// What the services build on, by concern. Named exports only: what is not listed here is
// common's own business. (The contract is @ticketing/contracts; tests use @ticketing/testkit.)

// HTTP: errors in the contract's shape, the signed-in user, input checks, money
export { AppError, badRequest, conflict, forbidden, notFound, tooManyRequests } from './errors/app-error.js';
export { requireAuth, userOf } from './http/current-user.js';
export { parseBody, parseId, parseOrThrow } from './http/validate.js';
export { toCents, toDollars } from './http/money.js';
export { textField } from './http/text.js';

// Configuration, validated once at start
export { baseConfigSchema, ConfigError, loadConfig, type BaseConfig } from './config/env.js';
export { limitSetting, withLimitDefaults, type LimitDefault } from './config/limits.js';

// Sessions (JWT): signing and revoking are the auth service's alone; everyone verifies
export {
  createSessionSigner,
  createSessionVerifier,
  keyIdOf,
  publicKeyPems,
  REVOCATION_RECHECK_MS,
  SESSION_COOKIE,
  SESSION_TTL_SECONDS,
  type CurrentUser,
  type RevocationCheck,
  type SessionSigner,
  type SignedSession,
  type VerifiedSession,
} from './session/session-token.js';
export {
  pruneRevokedSessions,
  recordRevokedSession,
  revokedSessions,
  revokedSessionsCheck,
  sessionRevokedListener,
  type RevokedSession,
} from './session/revoked-sessions.js';

// Events: listeners (inbox, retries, dead letters) and versions of replicated records
export {
  defaultListenerOptions,
  defineListener,
  handleMessage,
  startListeners,
  type Listener,
  type ListenerOptions,
  type RunningListeners,
} from './bus/listener.js';
export { failureCause, PermanentFailure, RetryLater, type FailureCause } from './bus/failures.js';
export { isNextVersion } from './bus/versioning.js';
export { answerRequests, ask, RequestUnanswered } from './bus/requests.js';
export { childTraceparent, currentTraceparent, runWithTrace } from './bus/trace.js';
// The bus as a transport (JetStream's is the one that ships)
export type {
  Answering,
  Deliveries,
  Delivery,
  EventTransport,
  PublishOptions,
  Reply,
  Request,
  StoreUsage,
  SubscribeOptions,
} from './bus/transport.js';
export { Bus, jetStreamDelivery, type BusOptions } from './bus/bus.js';

// Database: the outbox and inbox tables every service's schema includes
export { advisoryLocks, whileHolding } from './db/advisory-locks.js';
export { type Database, type Db, type Executor, type Tx } from './db/database.js';
export { PreparingClient } from './db/prepared-statements.js';
export { DatabaseNotifications } from './db/notifications.js';
export { inbox, outbox } from './db/messaging-tables.js';
export { isUniqueViolation } from './db/errors.js';
export { enqueueEvent } from './outbox/enqueue.js';
export { recordInInbox } from './outbox/inbox.js';

// A service's life: context, HTTP app and server, workers, start and graceful stop
export { createServiceContext, type ServiceContext } from './service/context.js';
export { createServiceApp, type WithRawBody } from './service/create-app.js';
export { createHttpServer } from './service/http-server.js';
export { createMetricsApp } from './service/metrics-app.js';
export { createLogger, type Logger } from './service/logger.js';
export { runService } from './service/run-service.js';
export { attachWorker, PeriodicWorker, type Worker } from './service/worker.js';
