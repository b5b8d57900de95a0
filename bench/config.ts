/**
 * How big and how long each benchmark is. BENCH_QUICK=1 is for development: smaller data
 * sets and shorter rounds, a couple of minutes in all. The full run stays within ~10 minutes.
 */
const quick = process.env.BENCH_QUICK === '1';

export const config = {
  quick,
  /** Rounds alternate candidate and baseline (ABBA), and the figures are the rounds' medians. */
  rounds: quick ? 3 : 5,
  /** Seconds of load per round, for each side. */
  roundSeconds: quick ? 2 : 5,
  /** autocannon connections for the read benchmarks. */
  connections: 10,
  /** Tickets stored for the read path, and the two sizes compared for scale. */
  readTickets: quick ? 20_000 : 100_000,
  smallTickets: 1_000,
  largeTickets: quick ? 100_000 : 1_000_000,
  /** Event lag: samples of each kind, taken one at a time with a pause between. */
  lagSamples: quick ? 60 : 300,
  lagPauseMs: 20,
  /** Purchases: concurrent buyers, rounds and seconds of buying per round. */
  buyers: 50,
  purchaseRounds: quick ? 2 : 3,
  purchaseSeconds: quick ? 4 : 10,
  /** Tickets put up for sale for the purchase rounds (buyers stop early if they run out). */
  purchaseTickets: quick ? 800 : 3_000,
};

export type BenchConfig = typeof config;
