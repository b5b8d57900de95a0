/** PostgreSQL's code for a unique constraint or index refusing a row. */
const UNIQUE_VIOLATION = '23505';

/**
 * True when `err` (or the driver error Drizzle wraps in it) is a unique violation, optionally
 * of one named constraint or index: how a database-enforced rule ("one live order per
 * ticket") reports that it held.
 */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  for (let e: unknown = err; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    const pgErr = e as { code?: string; constraint?: string };
    if (pgErr.code === UNIQUE_VIOLATION) return constraint === undefined || pgErr.constraint === constraint;
  }
  return false;
}
