import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { advisoryLocks } from '../src/db/advisory-locks.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const sourceDirs = ['common', 'auth', 'tickets', 'orders', 'expiration', 'payments'].map((w) => join(root, w, 'src'));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

describe('advisory locks', () => {
  it('when the keys are listed, then no two uses share one', () => {
    const keys = Object.values(advisoryLocks);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('when a service or common takes an advisory lock, then its key comes from that list', () => {
    const calls = sourceDirs.flatMap(sourceFiles).flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/pg_(?:try_)?advisory_(?:xact_)?lock\(([^,)]*)/g)].map((m) => ({ file, key: m[1]!.trim() })),
    );
    expect(calls.length).toBeGreaterThanOrEqual(4);
    expect(calls.filter((c) => !/^(\$\{advisoryLocks\.\w+\}|\$1)$/.test(c.key))).toEqual([]);
  });
});
