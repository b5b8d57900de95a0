import { randomUUID } from 'node:crypto';
import { bigserial, index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export { inbox, outbox } from '@ticketing/common';

/** Accounts. Other services know a user only by the id and email in the session JWT. */
export const users = pgTable('users', {
  id: uuid('id')
    .primaryKey()
    .$defaultFn(() => randomUUID()),
  /** Trimmed and lower-cased before it gets here; the unique index makes signup race-safe. */
  email: text('email').notNull().unique(),
  /** Self-describing scrypt hash (see src/password.ts), never the password. */
  passwordHash: text('password_hash').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * Failed sign-ins, counted per email over a sliding window (src/signin-limit.ts). Kept in the
 * database, not in memory, so the limit holds across replicas and restarts.
 */
export const signinFailures = pgTable(
  'signin_failures',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    email: text('email').notNull(),
    attemptedAt: timestamp('attempted_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('signin_failures_email_idx').on(t.email, t.attemptedAt)],
);

export type User = typeof users.$inferSelect;
