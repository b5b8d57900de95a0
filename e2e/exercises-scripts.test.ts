import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@ticketing/devkit/system/services';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * scripts/exercises/, the scripts learners run for docs/guide/21-kubernetes-exercises.md,
 * read without running them: shellcheck (Debian's `shellcheck` package) finds nothing, and each
 * script is bash that stops at the first failure. buy.sh runs for real in
 * exercises.e2e.test.ts; the kubectl ones only on a cluster (scripts/kind-e2e.sh).
 */
const dir = join(repoRoot, 'scripts', 'exercises');
const scripts = readdirSync(dir).filter((f) => f.endsWith('.sh') && f !== 'lib.sh');
const scratch = mkdtempSync(join(tmpdir(), 'ticketing-shellcheck-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** shellcheck's findings, one `file:line: SCnnnn` per line; following `source` into lib.sh. */
function shellcheck(...files: string[]): string[] {
  const result = spawnSync('shellcheck', ['--format=gcc', '--external-sources', `--source-path=${dir}`, ...files], { encoding: 'utf8' });
  if (result.error) throw new Error(`shellcheck does not run (${result.error.message}): apt-get install shellcheck`);
  return result.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => line.replace(/^.*\/([^/]+):(\d+):\d+: \w+: .*\[(SC\d+)\]$/, '$1:$2: $3'));
}

/** What a script must be: run by bash, executable, stopping at a failed command, an unset variable or a failed pipe. */
function headerProblems(name: string, text: string, mode: number): string[] {
  const problems: string[] = [];
  if (!text.startsWith('#!/usr/bin/env bash\n')) problems.push(`${name} does not start with #!/usr/bin/env bash`);
  if (!/^set -euo pipefail$/m.test(text)) problems.push(`${name} does not set -euo pipefail`);
  if ((mode & 0o111) !== 0o111) problems.push(`${name} is not executable`);
  return problems;
}

describe('scripts/exercises/', () => {
  it('when listed, then buy.sh and one script per exercise that a script helps are there', () => {
    expect(scripts.sort()).toEqual(['buy.sh', 'config.sh', 'dns.sh', 'rollout.sh', 'scale.sh', 'self-heal.sh', 'storage.sh']);
  });

  it('when each script is read, then it is executable bash that stops at the first failure', () => {
    const problems = scripts.flatMap((f) => headerProblems(f, readFileSync(join(dir, f), 'utf8'), statSync(join(dir, f)).mode));
    expect(problems).toEqual([]);
  });

  it('when a script runs under sh, is not executable and goes on after failures, then the check names each', () => {
    expect(headerProblems('broken.sh', '#!/bin/sh\nset -e\n', 0o644)).toEqual([
      'broken.sh does not start with #!/usr/bin/env bash',
      'broken.sh does not set -euo pipefail',
      'broken.sh is not executable',
    ]);
  });

  it('when shellcheck reads every script, lib.sh through each that sources it, then it finds nothing', () => {
    expect(shellcheck(...scripts.map((f) => join(dir, f)), join(dir, 'lib.sh'))).toEqual([]);
  });

  it('when a script splits a variable unquoted and reads one never set, then shellcheck names both', () => {
    const broken = join(scratch, 'broken.sh');
    writeFileSync(broken, '#!/usr/bin/env bash\nset -euo pipefail\npods=$(kubectl get pods -o name)\nkubectl delete $pods\necho "$context"\n');

    expect(shellcheck(broken)).toEqual(['broken.sh:4: SC2086', 'broken.sh:5: SC2154']);
  });

  it('when buy.sh is given a count of 0 or an unknown option, then it prints its usage and exits 2 before buying anything', () => {
    for (const args of [['--count', '0'], ['--parallel', 'x'], ['--colour']]) {
      const result = spawnSync('bash', [join(dir, 'buy.sh'), ...args], { encoding: 'utf8' });
      expect({ args, status: result.status, stdout: result.stdout }).toEqual({ args, status: 2, stdout: '' });
      expect(result.stderr).toContain('usage: ');
    }
  });
});
