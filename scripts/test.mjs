#!/usr/bin/env node
// `npm test`: type-checks every workspace, runs every test file once, and closes with one
// summary line, "N passed, N failed".
import './check-node.mjs';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';

const run = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit', env: process.env }).status ?? 1;

const { workspaces } = JSON.parse(readFileSync('package.json', 'utf8'));
for (const ws of [...workspaces, 'scripts', 'bench']) {
  console.log(`> type-checking ${ws}`);
  if (run('npx', ['tsc', '--noEmit', '-p', ws]) !== 0) {
    console.log(`\n0 passed, 1 failed`);
    process.exit(1);
  }
}

const args = process.argv.slice(2);
if (args.includes('--typecheck-only')) process.exit(0);

mkdirSync('.test-results', { recursive: true });
const report = '.test-results/vitest.json';
rmSync(report, { force: true });
const status = run('npx', [
  'vitest', 'run',
  '--reporter=default', '--reporter=json', `--outputFile.json=${report}`,
  ...args,
]);

let passed = 0;
let failed = 0;
try {
  const results = JSON.parse(readFileSync(report, 'utf8'));
  passed = results.numPassedTests;
  // Failed tests, plus files that failed before any test ran (an import error, a hook).
  failed =
    results.numFailedTests +
    results.testResults.filter(
      (file) => file.status === 'failed' && !file.assertionResults.some((t) => t.status === 'failed'),
    ).length;
} catch {
  failed = 1; // the runner died before writing its report
}
if (status !== 0 && failed === 0) failed = 1;
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed > 0 || status !== 0 ? 1 : 0);
