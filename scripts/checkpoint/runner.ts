import { Failure, Skip, type Check } from './check.js';
import type { Chapter } from './chapters.js';
import type { Shop } from './shop.js';

export type Outcome = { result: 'pass' | 'fail' | 'skip'; detail: string; ms: number };

/**
 * Runs chapters' checks one after another and prints a line for each: PASS, FAIL with what was
 * seen and where the guide explains it, or SKIP with why it could not tell. A check listed by
 * several chapters runs once per run of the command.
 */
export class Runner {
  private readonly outcomes = new Map<string, Outcome>();

  constructor(
    private readonly shop: Shop,
    private readonly print: (line: string) => void,
  ) {}

  get failed(): number {
    return [...this.outcomes.values()].filter((o) => o.result === 'fail').length;
  }

  async chapter(chapter: Chapter): Promise<void> {
    this.print(`Checkpoint ${chapter.number}: ${chapter.title} (${this.shop.url})`);
    const counts = { pass: 0, fail: 0, skip: 0 };
    for (const check of chapter.checks) {
      const earlier = this.outcomes.get(check.id);
      const outcome = earlier ?? (await this.run(check));
      this.outcomes.set(check.id, outcome);
      counts[outcome.result] += 1;
      this.report(check, outcome, earlier !== undefined);
    }
    const skipped = counts.skip ? `, ${counts.skip} skipped` : '';
    this.print(`Checkpoint ${chapter.number}: ${counts.pass} passed, ${counts.fail} failed${skipped}.\n`);
  }

  private async run(check: Check): Promise<Outcome> {
    const started = performance.now();
    const took = () => performance.now() - started;
    try {
      const detail = await check.run(this.shop);
      return { result: 'pass', detail: detail ?? '', ms: took() };
    } catch (err) {
      if (err instanceof Skip) return { result: 'skip', detail: err.message, ms: took() };
      if (err instanceof Failure) return { result: 'fail', detail: err.message, ms: took() };
      return { result: 'fail', detail: `the check itself failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`, ms: took() };
    }
  }

  private report(check: Check, { result, detail, ms }: Outcome, again: boolean) {
    const when = again ? 'as above' : `${(ms / 1000).toFixed(1)} s`;
    this.print(`  ${result.toUpperCase().padEnd(4)}  ${check.title} (${when})`);
    if (detail && result !== 'pass') this.print(`        ${detail}`);
    if (detail && result === 'pass' && !again) this.print(`        ${detail}`);
    const [file, section] = check.guide;
    if (result === 'fail') this.print(`        see docs/guide/${file}, "${section}"`);
  }
}
