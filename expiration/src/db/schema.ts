/**
 * The expiration service keeps no records of its own: its timers are pg-boss jobs (schema
 * `pgboss`, created and migrated by pg-boss itself). Drizzle manages only the tables every
 * service has for reliable messaging.
 */
export { inbox, outbox, revokedSessions } from '@ticketing/common';
