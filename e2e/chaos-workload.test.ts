import { describe, expect, it } from 'vitest';
import { sleep } from './chaos/workload.js';

describe("the chaos workload's sleep", () => {
  it('when the moment waited for has already passed, then it resolves at once, without a negative-timeout warning', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const started = Date.now();
      await sleep(-1500);
      await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
      expect(Date.now() - started).toBeLessThan(100);
      expect(warnings.map((w) => w.name)).not.toContain('TimeoutNegativeWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });
});
