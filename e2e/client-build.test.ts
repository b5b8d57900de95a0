import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { repoRoot } from '@ticketing/devkit/system/services';
import { clientBuildIsFresh, EXPLORER_ROUTE } from '../scripts/start/client-build.js';

/** `npm start` rebuilds the web client only when a source it compiles is newer than the build. */
let root: string;
afterEach(() => rmSync(root, { recursive: true, force: true }));

function file(path: string, secondsAgo: number) {
  const full = join(root, path);
  mkdirSync(dirname(full), { recursive: true });
  writeFileSync(full, '');
  const time = new Date(Date.now() - secondsAgo * 1000);
  utimesSync(full, time, time);
}

function aBuiltClient() {
  root = mkdtempSync(join(tmpdir(), 'client-build-'));
  file('client/app/page.tsx', 60);
  file('contracts/src/events.ts', 60);
  file('client/.next/standalone/client/server.js', 30);
  file('client/.next/BUILD_ID', 30);
  file(join('client', EXPLORER_ROUTE), 30);
  return join(root, 'client');
}

describe('the client build of npm start', () => {
  it('when nothing changed since the build, then it is used as it is', () => {
    expect(clientBuildIsFresh(aBuiltClient())).toBe(true);
  });

  it("when the client's or the contract package's sources changed since, then it is built again", () => {
    const client = aBuiltClient();
    file('client/app/page.tsx', 0);
    expect(clientBuildIsFresh(client)).toBe(false);
    const again = aBuiltClient();
    file('contracts/src/events.ts', 0);
    expect(clientBuildIsFresh(again)).toBe(false);
  });

  it('when only next-env.d.ts changed since (next dev writes its own), then the build is used as it is', () => {
    const client = aBuiltClient();
    file('client/next-env.d.ts', 0);
    expect(clientBuildIsFresh(client)).toBe(true);
  });

  it('when the build has no event explorer (a production build, as in the image), then it is built again', () => {
    const client = aBuiltClient();
    rmSync(join(client, EXPLORER_ROUTE));
    expect(clientBuildIsFresh(client)).toBe(false);
  });

  it('when there is no build yet, then it is built', () => {
    const client = aBuiltClient();
    rmSync(join(client, '.next'), { recursive: true });
    expect(clientBuildIsFresh(client)).toBe(false);
  });
});

describe('the client image', () => {
  it('when its Dockerfile builds the client, then with EVENT_EXPLORER off, so the image has no explorer route (client-production-build.e2e.test.ts builds one so)', () => {
    const builds = readFileSync(join(repoRoot, 'client', 'Dockerfile'), 'utf8')
      .split('\n')
      .filter((line) => /^RUN .*npm run build/.test(line));

    expect(builds).toEqual(['RUN EVENT_EXPLORER=off npm run build -w @ticketing/client']);
  });
});
