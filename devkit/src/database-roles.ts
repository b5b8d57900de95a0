import { createHmac } from 'node:crypto';
import pg from 'pg';

/**
 * A database of its own for one service on a server we run (the embedded one), with a login
 * role of its own that owns it: a service can reach only its own data, never as the superuser.
 * The role's password is derived from the superuser's (HMAC), so it needs no file of its own
 * and is the same at every start. A database made before, owned by the superuser, is handed
 * over with everything in it. Returns the service's connection URL.
 */
export async function ownDatabase(adminUrl: string, name: string): Promise<string> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
  const admin = new URL(adminUrl);
  const password = createHmac('sha256', decodeURIComponent(admin.password)).update(`role:${name}`).digest('hex');
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const role = await client.query('select 1 from pg_roles where rolname = $1', [name]);
    // The role and the database share the name; the password is hex, quoted as a literal.
    await client.query(`${role.rowCount ? 'alter' : 'create'} role ${name} login password ${client.escapeLiteral(password)}`);
    const db = await client.query<{ owner: string }>('select pg_get_userbyid(datdba) as owner from pg_database where datname = $1', [name]);
    if (!db.rowCount) await client.query(`create database ${name} owner ${name}`);
    else if (db.rows[0]!.owner !== name) {
      await client.query(`alter database ${name} owner to ${name}`);
      await handOver(adminUrl, name);
    }
    // Other roles (the other services') may not even connect to it, nor to the server's own.
    await client.query(`revoke all on database ${name}, postgres, template1 from public`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.username = name;
  url.password = password;
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * Gives `role` everything the superuser owns in the database of the same name: schemas, tables,
 * views, sequences (those of identity and serial columns go with their table), types and
 * functions. (REASSIGN OWNED cannot take objects from the bootstrap superuser.)
 */
async function handOver(adminUrl: string, role: string): Promise<void> {
  const url = new URL(adminUrl);
  url.pathname = `/${role}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query(`
      do $$
      declare
        me oid := (select oid from pg_roles where rolname = current_user);
        r record;
      begin
        for r in select nspname from pg_namespace
                 where nspowner = me and nspname not like 'pg\\_%' and nspname <> 'information_schema' loop
          execute format('alter schema %I owner to %I', r.nspname, '${role}');
        end loop;
        for r in select n.nspname, c.relname, c.relkind from pg_class c join pg_namespace n on n.oid = c.relnamespace
                 where c.relowner = me and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')
                   and n.nspname not like 'pg\\_%' and n.nspname <> 'information_schema'
                   and not exists (select 1 from pg_depend d where d.objid = c.oid and d.classid = 'pg_class'::regclass and d.deptype in ('a', 'i')) loop
          execute format('alter %s %I.%I owner to %I',
            case r.relkind when 'S' then 'sequence' when 'v' then 'view' when 'm' then 'materialized view' when 'f' then 'foreign table' else 'table' end,
            r.nspname, r.relname, '${role}');
        end loop;
        for r in select n.nspname, t.typname from pg_type t join pg_namespace n on n.oid = t.typnamespace
                 where t.typowner = me and t.typtype in ('e', 'd', 'r') and n.nspname not like 'pg\\_%' and n.nspname <> 'information_schema' loop
          execute format('alter type %I.%I owner to %I', r.nspname, r.typname, '${role}');
        end loop;
        for r in select p.oid::regprocedure as fn from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                 where p.proowner = me and n.nspname not like 'pg\\_%' and n.nspname <> 'information_schema' loop
          execute format('alter routine %s owner to %I', r.fn, '${role}');
        end loop;
      end
      $$`);
  } finally {
    await client.end();
  }
}
