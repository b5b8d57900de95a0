import { sql } from 'drizzle-orm';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@ticketing/testkit';
import { connectDatabase, type Database } from '../src/db/database.js';
import { PREPARED_PER_CONNECTION } from '../src/db/prepared-statements.js';
import { migrationsFolder } from './fixtures/service.js';

let testDatabase: TestDatabase;
let database: Database;

const connect = () => connectDatabase({ url: testDatabase.url, migrationsFolder, logger: pino({ level: 'silent' }) });

beforeAll(async () => {
  testDatabase = await createTestDatabase();
  database = await connect();
  await database.pool.query('create table things (id int primary key, name text not null)');
  await database.pool.query(`insert into things values (1, 'one'), (2, 'two')`);
});
afterAll(async () => {
  await database.close();
  await testDatabase.drop();
});

interface PreparedRow {
  statement: string;
  generic_plans: string;
  custom_plans: string;
}

type Queries = Pick<pg.ClientBase, 'query'>;

/** The statements a connection has prepared (asked without values, so not prepared itself). */
async function preparedOn(connection: Queries, like = '%'): Promise<PreparedRow[]> {
  const { rows } = await connection.query<PreparedRow>(
    `select statement, generic_plans::text, custom_plans::text from pg_prepared_statements where statement like ${pg.escapeLiteral(like)}`,
  );
  return rows;
}

/** One connection of the pool, held for the test, so its statements can be listed. */
async function withConnection(db: Database, fn: (connection: pg.PoolClient) => Promise<void>) {
  const connection = await db.pool.connect();
  try {
    await fn(connection);
  } finally {
    connection.release();
  }
}

describe('statements prepared once per connection', () => {
  it('when a statement with values runs again and again, then its connection prepares it once, and plans it once after five custom plans', async () => {
    await withConnection(database, async (connection) => {
      const text = 'select name from things where id = $1';
      const names: string[] = [];
      for (let i = 0; i < 8; i++) names.push((await connection.query<{ name: string }>(text, [1 + (i % 2)])).rows[0]!.name);

      expect(names).toEqual(['one', 'two', 'one', 'two', 'one', 'two', 'one', 'two']);
      expect(await preparedOn(connection, text)).toEqual([{ statement: text, custom_plans: '5', generic_plans: '3' }]);
    });
  });

  it("when drizzle runs a query in a service's transaction, then it is prepared on the transaction's connection", async () => {
    const lookup = (id: number) => sql`select name from things where id = ${id} and name <> 'drizzle'`;
    const outside = await database.db.execute(lookup(1));
    const { inside, prepared } = await database.transaction(async (tx) => ({
      inside: [(await tx.execute(lookup(2))).rows[0], (await tx.execute(lookup(1))).rows[0]],
      prepared: (await tx.execute(sql.raw(`select statement, generic_plans::text, custom_plans::text from pg_prepared_statements where statement like '%name <> ''drizzle'''`))).rows,
    }));

    expect([outside.rows[0], ...inside]).toEqual([{ name: 'one' }, { name: 'two' }, { name: 'one' }]);
    expect(prepared).toHaveLength(1);
    expect(Number(prepared[0]!.custom_plans) + Number(prepared[0]!.generic_plans)).toBeGreaterThanOrEqual(2);
  });

  it('when a statement has no values, then it keeps the simple protocol: several statements at once still run, and none is prepared', async () => {
    await withConnection(database, async (connection) => {
      await connection.query(`insert into things values (3, 'three'); update things set name = 'THREE' where id = 3`);

      expect((await connection.query('select name from things where id = $1', [3])).rows).toEqual([{ name: 'THREE' }]);
      expect(await preparedOn(connection, '%three%')).toEqual([]);
      expect(await preparedOn(connection, '%THREE%')).toEqual([]);
    });
  });

  it(`when a connection has prepared ${PREPARED_PER_CONNECTION} statements, then new texts run unprepared and still answer`, async () => {
    const fresh = await connect();
    try {
      await withConnection(fresh, async (connection) => {
        const answers: number[] = [];
        for (let k = 0; k < PREPARED_PER_CONNECTION + 5; k++) {
          answers.push((await connection.query<{ n: number }>(`select $1::int + ${k} as n`, [1])).rows[0]!.n);
        }

        expect(answers).toEqual(Array.from({ length: PREPARED_PER_CONNECTION + 5 }, (_, k) => k + 1));
        const prepared = (await preparedOn(connection)).map((row) => row.statement);
        expect(prepared).toHaveLength(PREPARED_PER_CONNECTION);
        expect(prepared).toContain('select $1::int + 0 as n');
        expect(prepared).not.toContain(`select $1::int + ${PREPARED_PER_CONNECTION + 4} as n`);
      });
    } finally {
      await fresh.close();
    }
  });
});
