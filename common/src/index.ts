// Errors and HTTP building blocks
export * from './errors/app-error.js';
export * from './errors/error-handler.js';
export * from './http/current-user.js';
export * from './http/validate.js';
export * from './http/money.js';
export * from './http/text.js';
// Configuration
export * from './config/env.js';
// Sessions (JWT): signing is the auth service's alone; everyone verifies
export * from './session/session-token.js';
// Events: the bus, listeners, tracing (the contract itself is @ticketing/contracts)
export * from './bus/bus.js';
export * from './bus/listener.js';
export * from './bus/versioning.js';
export * from './bus/dead-letter.js';
export * from './bus/trace.js';
// Database, outbox and inbox
export * from './db/database.js';
export * from './db/messaging-tables.js';
export * from './db/errors.js';
export * from './outbox/enqueue.js';
export * from './outbox/relay.js';
export * from './outbox/inbox.js';
// Service bootstrap
export * from './service/context.js';
export * from './service/create-app.js';
export * from './service/health.js';
export * from './service/http-server.js';
export * from './service/logger.js';
export * from './service/metrics.js';
export * from './service/run-service.js';
