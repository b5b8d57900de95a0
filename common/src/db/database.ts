import type { ExtractTablesWithRelations } from 'drizzle-orm';
import { drizzle, NodePgSession, NodePgTransaction, type NodePgDatabase, type NodePgQueryResultHKT } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { PgDialect, type PgTransaction } from 'drizzle-orm/pg-core';
import pg from 'pg';
import type { Logger } from 'pino';
import { waitFor } from '../service/wait-for.js';
import { advisoryLocks } from './advisory-locks.js';
import { PreparingClient } from './prepared-statements.js';

export type Db = NodePgDatabase<Record<string, never>>;
export type Tx = PgTransaction<
  NodePgQueryResultHKT,
  Record<string, never>,
  ExtractTablesWithRelations<Record<string, never>>
>;
/** Where a query may run: the pool, or inside a transaction. */
export type Executor = Db | Tx;

export interface TransactionOptions {
  /**
   * A statement sent with BEGIN, in the same round trip; `fn` gets its result. Its values must
   * be written in with `literal` (the simple query protocol that carries both takes no parameters).
   */
  opening?: string;
}

/** The work of one transaction; `opened` is the result of the opening statement, if it had one. */
export type TransactionWork<T> = (tx: Tx, opened?: pg.QueryResult) => Promise<T>;

export interface Database {
  db: Db;
  pool: pg.Pool;
  /**
   * Runs `fn` in one transaction: all of its writes commit together or not at all. An opening
   * statement travels with BEGIN, and statements queued by `atCommit` with COMMIT, so each costs
   * no round trip of its own.
   */
  transaction<T>(fn: TransactionWork<T>, options?: TransactionOptions): Promise<T>;
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
  const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 10, Client: PreparingClient });
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
  const dialect = new PgDialect();
  return {
    db,
    pool,
    transaction: (fn, transactionOptions) => runTransaction(pool, dialect, fn, transactionOptions),
    ping: async () => {
      await pool.query('select 1');
    },
    close: () => pool.end(),
  };
}

/** Statements to run just before each open transaction commits, by transaction. */
const commitStatements = new WeakMap<Executor, string[]>();

/**
 * Queues `statement` to run in `tx` right before it commits, sent in the COMMIT's round trip (a
 * failure fails the commit, as it would have failed the transaction). Values must be written in
 * with `literal`. False when `executor` is not a transaction of `Database.transaction` (the pool,
 * or another library's transaction): the caller runs it itself.
 */
export function atCommit(executor: Executor, statement: string): boolean {
  const queued = commitStatements.get(executor);
  queued?.push(statement);
  return queued !== undefined;
}

/** A value written into a statement as a PostgreSQL literal (quoted and escaped), or null. */
export function literal(value: string | null | undefined): string {
  return value === null || value === undefined ? 'null' : pg.escapeLiteral(value);
}

/**
 * Drizzle's own transaction is BEGIN, the work, COMMIT: two round trips of its own. Here BEGIN
 * carries the opening statement and COMMIT the queued ones, in the simple query protocol, which
 * takes several statements at once; the work in between is drizzle's as before.
 */
async function runTransaction<T>(pool: pg.Pool, dialect: PgDialect, fn: TransactionWork<T>, options: TransactionOptions = {}): Promise<T> {
  const client = await pool.connect();
  const session = new NodePgSession<Record<string, never>, ExtractTablesWithRelations<Record<string, never>>>(client, dialect, undefined);
  const tx: Tx = new NodePgTransaction(dialect, session, undefined);
  const queued: string[] = [];
  commitStatements.set(tx, queued);
  let broken: Error | undefined;
  try {
    const opened = await client.query(options.opening ? `begin; ${options.opening}` : 'begin');
    const result = await fn(tx, Array.isArray(opened) ? (opened[1] as pg.QueryResult) : undefined);
    await client.query([...queued, 'commit'].join('; '));
    return result;
  } catch (err) {
    // A connection that cannot even roll back is not given back to the pool.
    await client.query('rollback').catch((rollbackErr: Error) => (broken = rollbackErr));
    throw err;
  } finally {
    commitStatements.delete(tx);
    client.release(broken);
  }
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
