/** Small statistics helpers: the benchmarks report medians of rounds and percentiles of samples. */

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export const median = (values: number[]) => percentile(values, 50);

export const round = (value: number, digits = 1) => Number(value.toFixed(digits));

/** Milliseconds since an arbitrary origin, sub-millisecond resolution. */
export const now = () => performance.now();

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `a` and `b` for `rounds` rounds in ABBA order (a b, b a, a b, ...), so a machine that
 * gets busier or quieter during the run weighs on both sides alike.
 */
export async function alternate<A, B>(
  rounds: number,
  a: () => Promise<A>,
  b: () => Promise<B>,
): Promise<{ a: A[]; b: B[] }> {
  const results = { a: [] as A[], b: [] as B[] };
  for (let i = 0; i < rounds; i++) {
    if (i % 2 === 0) {
      results.a.push(await a());
      results.b.push(await b());
    } else {
      results.b.push(await b());
      results.a.push(await a());
    }
  }
  return results;
}
