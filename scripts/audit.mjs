#!/usr/bin/env node
// `npm run audit`: npm's advisory check, on every dependency and on production ones alone.
// Prints the counts by severity for both, names the high and critical advisories in production
// dependencies, and exits:
//   0  no high or critical advisory in production dependencies (dev-only ones are reported, not fatal)
//   1  at least one high or critical advisory in production dependencies
//   2  the audit could not be done (advisory endpoint unreachable or refusing, npm failed):
//      nothing is known, so this is never reported as a pass
// `--all-report FILE --prod-report FILE` summarises saved `npm audit --json` outputs instead of
// running npm (for CI artefacts, and for this script's own tests).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const SEVERITIES = ['critical', 'high', 'moderate', 'low', 'info'];
const FATAL = new Set(['critical', 'high']);
const TIMEOUT_MS = 180_000;

/** One `npm audit --json` run: its stdout and how npm ended. */
function runNpmAudit(extraArgs) {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['audit', '--json', ...extraArgs], { encoding: 'utf8', timeout: TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 });
  if (result.error?.code === 'ETIMEDOUT') return { stdout: '', failure: `npm audit gave no answer within ${TIMEOUT_MS / 1000} s` };
  if (result.error) return { stdout: '', failure: `could not run npm: ${result.error.message}` };
  return { stdout: result.stdout, failure: firstLine(result.stderr) };
}

const firstLine = (text) => (text ?? '').split('\n').map((l) => l.replace(/^npm (error|warn) /, '').trim()).find(Boolean);

/**
 * Reads one report: `{ ok: true, counts, fatal }` with `fatal` the high and critical advisories,
 * or `{ ok: false, reason }` when npm answered with an error instead of a report.
 */
function readReport(stdout, failure) {
  let report;
  try {
    report = JSON.parse(stdout);
  } catch {
    return { ok: false, reason: failure || 'npm audit printed no JSON report' };
  }
  const counts = report?.metadata?.vulnerabilities;
  if (!counts || typeof counts !== 'object') {
    // npm's error report: {"message": "405 Method Not Allowed - POST .../advisories/bulk", ...}
    // or {"error": {"code": "ENOTFOUND", "summary": "..."}}.
    const reason = report?.message || report?.error?.summary || report?.error?.code || failure || 'npm audit returned no report';
    return { ok: false, reason: String(reason) };
  }
  const fatal = Object.values(report.vulnerabilities ?? {})
    .filter((v) => FATAL.has(v.severity))
    .map((v) => {
      const titles = (v.via ?? []).filter((via) => typeof via === 'object' && via.title).map((via) => via.title);
      return `${v.severity} ${v.name}${v.range ? ` (${v.range})` : ''}${titles.length ? `: ${[...new Set(titles)].join('; ')}` : ''}`;
    });
  return { ok: true, counts, fatal };
}

const describeCounts = (counts) =>
  `${SEVERITIES.map((s) => `${counts[s] ?? 0} ${s}`).join(', ')} (${counts.total ?? SEVERITIES.reduce((n, s) => n + (counts[s] ?? 0), 0)} total)`;

function main(argv) {
  const option = (name) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const saved = { all: option('--all-report'), prod: option('--prod-report') };
  const audit = (file, args) => {
    const { stdout, failure } = file ? { stdout: readFileSync(file, 'utf8'), failure: undefined } : runNpmAudit(args);
    return readReport(stdout, failure);
  };
  const all = audit(saved.all, []);
  const prod = audit(saved.prod, ['--omit=dev']);

  for (const [label, r] of [['all dependencies', all], ['production dependencies', prod]]) {
    console.log(`npm audit, ${label}: ${r.ok ? describeCounts(r.counts) : `NOT DONE (${r.reason})`}`);
  }
  if (!all.ok || !prod.ok) {
    console.log('\nThe audit could not be done: the advisory endpoint did not answer with a report, so nothing is');
    console.log('known about advisories for these dependencies; this is not a pass. Run `npm run audit` where the');
    console.log('registry answers audit requests.');
    return 2;
  }
  if (prod.fatal.length > 0) {
    console.log('\nHigh or critical advisories in production dependencies:');
    for (const line of prod.fatal) console.log(`  ${line}`);
    console.log('\nFAILED: fix or update these (`npm audit fix`, or a newer version of the package that pulls them in).');
    return 1;
  }
  const devOnly = all.fatal.length;
  console.log(`\nPASSED: no high or critical advisory in production dependencies${devOnly ? ` (${devOnly} in development dependencies only, listed below)` : ''}.`);
  for (const line of all.fatal) console.log(`  ${line}`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
