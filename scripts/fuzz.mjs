#!/usr/bin/env node
// `npm run fuzz`: every service's fuzz test (<service>/test/fuzz.test.ts) with many more cases
// than `npm test` gives them, then the totals: requests sent, 5xx answers, contract violations.
//
//   npm run fuzz                 FUZZ_RUNS=1500 cases per property (over 10,000 requests in all)
//   FUZZ_RUNS=5000 npm run fuzz  more
//   npm run fuzz -- orders       only the services named
//
// fast-check picks a new seed each run and prints it with any counterexample; replay one with
// the `seed` and `path` it prints (fc.assert's options) in the failing test.
import './check-node.mjs';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const runs = process.env.FUZZ_RUNS ?? '1500';
const only = process.argv.slice(2);
const files = readdirSync('.', { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(d.name, 'test', 'fuzz.test.ts')))
  .filter((d) => only.length === 0 || only.includes(d.name))
  .map((d) => `${d.name}/test/fuzz.test.ts`);
if (files.length === 0) {
  console.error(`no fuzz tests found${only.length ? ` for ${only.join(', ')}` : ''}`);
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), 'ticketing-fuzz-'));
const report = join(dir, 'report.jsonl');
console.log(`> fuzzing ${files.join(', ')} with FUZZ_RUNS=${runs}`);
const started = Date.now();
const status =
  spawnSync('npx', ['vitest', 'run', ...files], {
    stdio: 'inherit',
    env: { ...process.env, FUZZ_RUNS: runs, FUZZ_REPORT: report },
  }).status ?? 1;

const lines = existsSync(report) ? readFileSync(report, 'utf8').trim().split('\n').filter(Boolean) : [];
rmSync(dir, { recursive: true, force: true });
const total = { requests: 0, serverErrors: 0, violations: 0 };
console.log('\nservice     requests   2xx/3xx   4xx   5xx   violations');
for (const line of lines) {
  const r = JSON.parse(line);
  const ok = (r.byStatus['2xx'] ?? 0) + (r.byStatus['3xx'] ?? 0);
  console.log(
    `${r.service.padEnd(10)} ${String(r.requests).padStart(9)} ${String(ok).padStart(9)} ${String(r.byStatus['4xx'] ?? 0).padStart(5)} ${String(r.serverErrors).padStart(5)} ${String(r.violations).padStart(12)}`,
  );
  for (const k of Object.keys(total)) total[k] += r[k];
}
const seconds = Math.round((Date.now() - started) / 1000);
console.log(`\n${total.requests} requests, ${total.serverErrors} answered 5xx, ${total.violations} violations, in ${seconds} s`);
if (lines.length < files.length) console.log(`(${files.length - lines.length} of ${files.length} fuzz files reported nothing: they failed before the end)`);
process.exit(status !== 0 || total.serverErrors > 0 || total.violations > 0 || lines.length < files.length ? 1 : 0);
