import { mkdtempSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ownDatabase } from '../src/database-roles.js';
import { startEmbeddedPostgres, type EmbeddedDatabaseServer } from '../src/embedded-postgres.js';

const folder = mkdtempSync(join(tmpdir(), 'ticketing-roles-'));
chmodSync(folder, 0o755); // as root, the server's own user must reach its data
let server: EmbeddedDatabaseServer;
beforeAll(async () => {
  server = await startEmbeddedPostgres({ dir: join(folder, 'postgres'), persistent: false });
}, 60_000);
afterAll(async () => {
  await server?.stop();
  rmSync(folder, { recursive: true, force: true });
});

/** Runs `sql` as the user of `url`: its rows, or the error code PostgreSQL answered. */
async function as(url: string, sql: string): Promise<unknown[] | string> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    return (await client.query(sql)).rows;
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  } finally {
    await client.end().catch(() => {});
  }
}

const otherDatabase = (url: string, name: string) => Object.assign(new URL(url), { pathname: `/${name}` }).toString();

describe("a service's own database on the embedded server", () => {
  it('when it is made, then a login role of its own owns it, with a password that is not the superuser\'s, and the same at the next start', async () => {
    const url = await ownDatabase(server.adminUrl, 'ticketing_alpha');
    const parsed = new URL(url);
    expect(parsed.username).toBe('ticketing_alpha');
    expect(parsed.pathname).toBe('/ticketing_alpha');
    expect(parsed.password).not.toBe(new URL(server.adminUrl).password);
    expect(await as(url, 'create table things (id serial primary key, name text)')).toEqual([]);
    expect(await as(url, 'select rolsuper from pg_roles where rolname = current_user')).toEqual([{ rolsuper: false }]);
    expect(await ownDatabase(server.adminUrl, 'ticketing_alpha')).toBe(url);
  });

  it("when a service's role tries another service's database, then PostgreSQL refuses it at the door", async () => {
    const alpha = await ownDatabase(server.adminUrl, 'ticketing_alpha');
    await ownDatabase(server.adminUrl, 'ticketing_beta');
    expect(await as(otherDatabase(alpha, 'ticketing_beta'), 'select 1')).toBe('42501'); // insufficient_privilege
    expect(await as(otherDatabase(alpha, 'postgres'), 'select 1')).toBe('42501');
    expect(await as(otherDatabase(alpha, 'template1'), 'select 1')).toBe('42501');
  });

  it('when a database was made before, owned by the superuser, then it and all in it are handed to the role, which can then migrate it', async () => {
    await as(server.adminUrl, 'create database ticketing_legacy');
    const legacyAsAdmin = otherDatabase(server.adminUrl, 'ticketing_legacy');
    await as(
      legacyAsAdmin,
      `create schema drizzle;
       create table drizzle.migrations (id serial primary key, hash text);
       create type mood as enum ('ok', 'not ok');
       create table orders (id uuid primary key, n int generated always as identity, mood mood);
       create sequence numbers;
       create view open_orders as select * from orders;
       create function twice(x int) returns int language sql as 'select 2 * x';
       insert into orders (id, mood) values ('00000000-0000-4000-8000-000000000001', 'ok');`,
    );

    const url = await ownDatabase(server.adminUrl, 'ticketing_legacy');

    expect(await as(url, `select count(*)::int as n from orders`)).toEqual([{ n: 1 }]);
    expect(await as(url, 'alter table orders add column note text')).toEqual([]);
    expect(await as(url, 'alter table drizzle.migrations add column created_at bigint')).toEqual([]);
    expect(await as(url, "alter type mood add value 'great'")).toEqual([]);
    expect(await as(url, 'create or replace view open_orders as select * from orders')).toEqual([]);
    expect(await as(url, "create or replace function twice(x int) returns int language sql as 'select x + x'")).toEqual([]);
    expect(await as(url, "select nextval('numbers')::int as n")).toEqual([{ n: 1 }]);
    expect(await as(url, 'create table more (id int)')).toEqual([]);
  });
});
