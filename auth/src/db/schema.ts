import { randomUUID } from 'node:crypto';
import { index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export { inbox, outbox, revokedSessions } from '@ticketing/common';

/** Accounts. Other services know a user only by the id and email in the session JWT. */
export const users = pgTable('users', {
  id: uuid('id')
    .primaryKey()
    .$defaultFn(() => randomUUID()),
  /** Trimmed and lower-cased before it gets here; the unique index makes signup race-safe. */
  email: text('email').notNull().unique(),
  /** Self-describing argon2id (or older scrypt) hash (see src/password.ts), never the password. */
  passwordHash: text('password_hash').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * Every session auth has issued, by its token's `jti`: what "sign out everywhere" finds a
 * user's live sessions in. A revoked one is also in `revoked_sessions`, which every service's
 * verifier reads. Rows go once the token has expired (src/sessions.ts).
 */
export const sessions = pgTable(
  'sessions',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [index('sessions_user_idx').on(t.userId), index('sessions_expires_at_idx').on(t.expiresAt)],
);

export type User = typeof users.$inferSelect;
