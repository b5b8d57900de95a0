import { advisoryLocks, type Database } from '@ticketing/common';
import { sql } from 'drizzle-orm';

/**
 * pg-boss 12 cannot migrate the schema pg-boss 10 left (schema version 24): its migrations start
 * from version 25, pg-boss 11's new layout, and pg-boss 11 had no migration from 24 either (its
 * release notes say to move the jobs over with INSERT ... SELECT). The expiry queue does that on
 * its first start after the upgrade:
 *
 * 1. `setAsidePgBoss10`, before pg-boss starts, renames the old schema `pgboss` to `pgboss_v10`,
 *    so pg-boss 12 installs a new `pgboss`;
 * 2. `movePgBoss10Jobs`, once the queue exists, copies every expiry job into it (same ids, due
 *    times and retry counts; finished ones too, so their orders are not scheduled again) and
 *    drops `pgboss_v10`, in one transaction.
 *
 * Both take one lock and find nothing to do once done, so replicas starting together, or a
 * start that stopped halfway, are safe. The schema is this service's own and holds only the
 * expiry queue.
 */
const PG_BOSS_10_SCHEMA_VERSION = 24;

/** Returns true when it set a pg-boss 10 schema aside. */
export function setAsidePgBoss10(database: Database): Promise<boolean> {
  return database.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${advisoryLocks.pgBoss10Upgrade})`);
    const installed = await tx.execute(sql`select to_regclass('pgboss.version') is not null as yes`);
    if (!installed.rows[0]?.yes) return false;
    const { rows } = await tx.execute(sql`select version from pgboss.version`);
    if (rows[0]?.version !== PG_BOSS_10_SCHEMA_VERSION) return false;
    await tx.execute(sql`alter schema pgboss rename to pgboss_v10`);
    return true;
  });
}

/** Returns how many jobs it copied, or undefined when there was no pg-boss 10 schema left. */
export function movePgBoss10Jobs(database: Database, queue: string): Promise<number | undefined> {
  return database.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${advisoryLocks.pgBoss10Upgrade})`);
    const present = await tx.execute(sql`select to_regnamespace('pgboss_v10') is not null as yes`);
    if (!present.rows[0]?.yes) return undefined;
    // A pg-boss 10 replica still running (a rolling update) finishes what it was writing first.
    await tx.execute(sql`lock table pgboss_v10.job, pgboss_v10.archive`);
    // Retry settings come from the new queue; a job a pg-boss 10 worker held runs again.
    const copied = await tx.execute(sql`
      with v10 as (
        select id, name, priority, data, state, retry_count, start_after, started_on, created_on,
               completed_on, keep_until, output from pgboss_v10.job
        union all
        select id, name, priority, data, state, retry_count, start_after, started_on, created_on,
               completed_on, keep_until, output from pgboss_v10.archive
      )
      insert into pgboss.job (id, name, priority, data, state, retry_count, start_after, started_on,
        created_on, completed_on, keep_until, output, policy, retry_limit, retry_delay, retry_backoff,
        retry_delay_max, expire_seconds, deletion_seconds)
      select v10.id, v10.name, v10.priority, v10.data,
             (case v10.state when 'active' then 'retry' else v10.state::text end)::pgboss.job_state,
             v10.retry_count, v10.start_after, v10.started_on, v10.created_on, v10.completed_on,
             v10.keep_until, v10.output, q.policy, q.retry_limit, q.retry_delay, q.retry_backoff,
             q.retry_delay_max, q.expire_seconds, q.deletion_seconds
        from v10 join pgboss.queue q on q.name = v10.name
       where v10.name = ${queue}
      on conflict do nothing`);
    await tx.execute(sql`drop schema pgboss_v10 cascade`);
    return copied.rowCount ?? 0;
  });
}
