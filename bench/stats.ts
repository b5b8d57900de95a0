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
 * Runs each side once per round, in turn, reversing the order every other round (A B C,
 * C B A, ...), so a machine that gets busier or quieter during the run weighs on all alike.
 * Returns each side's results, in the order of `sides`.
 */
export async function interleave<T>(rounds: number, sides: (() => Promise<T>)[]): Promise<T[][]> {
  const results: T[][] = sides.map(() => []);
  for (let i = 0; i < rounds; i++) {
    const order = sides.map((_, j) => j);
    if (i % 2 === 1) order.reverse();
    for (const j of order) results[j]!.push(await sides[j]!());
  }
  return results;
}

/** `interleave` for two sides. */
export async function alternate<A, B>(
  rounds: number,
  a: () => Promise<A>,
  b: () => Promise<B>,
): Promise<{ a: A[]; b: B[] }> {
  const [ra, rb] = await interleave<A | B>(rounds, [a, b]);
  return { a: ra as A[], b: rb as B[] };
}
