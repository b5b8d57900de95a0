import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { round } from './stats.js';

/**
 * One reported figure beside the baseline it is compared with. `ratio` is value / baseline;
 * `target` says what the ratio (or the value) must be, and `met` whether it is.
 */
export interface Figure {
  group: string;
  name: string;
  value: number;
  unit: string;
  baseline: { name: string; value: number };
  ratio: number;
  target?: string;
  met?: boolean;
}

export function figure(
  group: string,
  name: string,
  value: number,
  unit: string,
  baseline: { name: string; value: number },
  target?: { text: string; met: boolean },
): Figure {
  return {
    group,
    name,
    value,
    unit,
    baseline,
    ratio: baseline.value === 0 ? NaN : value / baseline.value,
    target: target?.text,
    met: target?.met,
  };
}

const show = (value: number, unit: string) => {
  if (!Number.isFinite(value)) return 'n/a';
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return `${round(value, digits).toLocaleString('en-US')} ${unit}`.trim();
};

export function formatTable(figures: Figure[]): string {
  const header = ['figure', 'value', 'baseline', 'ratio', 'target', 'met'];
  const rows: string[][] = [];
  let group = '';
  for (const f of figures) {
    if (f.group !== group) {
      group = f.group;
      rows.push([group, '', '', '', '', '']);
    }
    rows.push([
      `  ${f.name}`,
      show(f.value, f.unit),
      `${show(f.baseline.value, f.unit)} (${f.baseline.name})`,
      Number.isFinite(f.ratio) ? `${round(f.ratio, 2)}x` : 'n/a',
      f.target ?? '',
      f.met === undefined ? '' : f.met ? 'yes' : 'NO',
    ]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** Writes the figures (and any details behind them) as JSON: latest.json and a dated copy. */
export function writeResults(dir: string, results: object): string {
  mkdirSync(dir, { recursive: true });
  const text = `${JSON.stringify(results, null, 2)}\n`;
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  writeFileSync(join(dir, `bench-${stamp}.json`), text);
  const latest = join(dir, 'latest.json');
  writeFileSync(latest, text);
  return latest;
}
