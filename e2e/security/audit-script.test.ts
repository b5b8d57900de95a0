/**
 * scripts/audit.mjs on saved `npm audit --json` reports: the summary it prints and the exit
 * code a CI step acts on (0 pass, 1 high/critical in production, 2 audit not done).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

function audit(all: string, prod: string) {
  const r = spawnSync(process.execPath, ['scripts/audit.mjs', '--all-report', fixture(all), '--prod-report', fixture(prod)], {
    cwd: root,
    encoding: 'utf8',
  });
  return { code: r.status, out: r.stdout + r.stderr };
}

describe('npm run audit', () => {
  it('when both reports are clean, then it prints the counts for each and exits 0', () => {
    const { code, out } = audit('audit-clean.json', 'audit-clean.json');

    expect(out).toContain('npm audit, all dependencies: 0 critical, 0 high, 0 moderate, 0 low, 0 info (0 total)');
    expect(out).toContain('npm audit, production dependencies: 0 critical, 0 high, 0 moderate, 0 low, 0 info (0 total)');
    expect(out).toContain('PASSED');
    expect(code).toBe(0);
  });

  it('when a production dependency has a high advisory, then it names it and exits 1', () => {
    const { code, out } = audit('audit-high.json', 'audit-high.json');

    expect(out).toContain('npm audit, production dependencies: 0 critical, 1 high, 0 moderate, 1 low, 0 info (2 total)');
    expect(out).toContain('high path-to-regexp (<0.1.12): path-to-regexp outputs backtracking regular expressions');
    expect(out).not.toContain('low cookie');
    expect(out).toContain('FAILED');
    expect(code).toBe(1);
  });

  it('when the high advisory is in a development dependency only, then it is reported but the audit passes', () => {
    const { code, out } = audit('audit-high.json', 'audit-clean.json');

    expect(out).toContain('npm audit, all dependencies: 0 critical, 1 high');
    expect(out).toMatch(/PASSED.*1 in development dependencies only/);
    expect(out).toContain('high path-to-regexp');
    expect(code).toBe(0);
  });

  it.each([
    ['the advisory endpoint refuses (405)', 'audit-405.json', 'audit-405.json'],
    ['only the production audit is refused', 'audit-clean.json', 'audit-405.json'],
  ])('when %s, then it says the audit was not done and exits 2, never 0', (_, all, prod) => {
    const { code, out } = audit(all, prod);

    expect(out).toContain('NOT DONE (405 Method Not Allowed - POST');
    expect(out).toContain('this is not a pass');
    expect(out).not.toContain('PASSED');
    expect(code).toBe(2);
  });
});
