import type { ExtractTablesWithRelations } from 'drizzle-orm';
import { drizzle, type NodePgDatabase, type NodePgQueryResultHKT } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import type { PgTransaction } from 'drizzle-orm/pg-core';
import pg from 'pg';
import type { Logger } from 'pino';
import { waitFor } from '../service/wait-for.js';
import { advisoryLocks } from './advisory-locks.js';

export type Db = NodePgDatabase<Record<string, never>>;
export type Tx = PgTransaction<
  NodePgQueryResultHKT,
  Record<string, never>,
  ExtractTablesWithRelations<Record<string, never>>
>;
/** Where a query may run: the pool, or inside a transaction. */
export type Executor = Db | Tx;

export interface Database {
  db: Db;
  pool: pg.Pool;
  /** Runs `fn` in one transaction: all of its writes commit together or not at all. */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export async function connectDatabase(options: {
  url: string;
  migrationsFolder: string;
  logger: Logger;
  poolSize?: number;
  /** How long start-up waits for PostgreSQL to accept connections (default 10 s). */
  startupWaitMs?: number;
}): Promise<Database> {
  const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 10 });
  // An idle client losing its connection must not crash the process.
  pool.on('error', (err) => options.logger.warn({ err }, 'idle database connection failed'));
  // pg-pool listens only on idle connections: one handed out and waiting between two queries
  // (a transaction publishing to NATS, a listener waiting on its queue) that the server cuts
  // (an outage, a restart) would emit an unhandled 'error' and end the process. Its query fails
  // instead, and the work is retried.
  pool.on('connect', (client) => client.on('error', (err) => options.logger.warn({ err }, 'database connection failed')));
  const db: Db = drizzle({ client: pool });
  const where = new URL(options.url);
  await waitFor(`PostgreSQL at ${where.hostname}:${where.port || 5432}`, () => migrateWithLock(pool, db, options.migrationsFolder), {
    logger: options.logger,
    timeoutMs: options.startupWaitMs ?? 10_000,
  }).catch(async (err: unknown) => {
    await pool.end();
    throw err;
  });
  return {
    db,
    pool,
    transaction: (fn) => db.transaction(fn),
    ping: async () => {
      await pool.query('select 1');
    },
    close: () => pool.end(),
  };
}

async function migrateWithLock(pool: pg.Pool, db: Db, migrationsFolder: string) {
  const client = await pool.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [advisoryLocks.migrations]);
    await migrate(db, { migrationsFolder });
  } finally {
    await client.query('select pg_advisory_unlock($1)', [advisoryLocks.migrations]).catch(() => {});
    client.release();
  }
}
