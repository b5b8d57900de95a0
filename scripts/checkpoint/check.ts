import type { Shop } from './shop.js';

/**
 * One check of a checkpoint: something a learner's running system does once it has reached a
 * chapter, observed from outside through the front door. `run` resolves with a short detail of
 * what it saw, or throws a `Failure` saying what is wrong (or a `Skip` saying why it could not
 * tell).
 */
export interface Check {
  /** Shared by every chapter that lists the check; a run with several chapters runs it once. */
  id: string;
  /** What passing means, in the guide's words. */
  title: string;
  /** Where the guide explains it: a chapter's file in docs/guide/ and a section's heading there. */
  guide: readonly [chapter: string, section: string];
  run(shop: Shop): Promise<string | void>;
}

/** The system is not where the check expects it: `message` says what was seen instead. */
export class Failure extends Error {}

/** The check cannot be made against this system as it runs (a setting, a missing tool); not a failure. */
export class Skip extends Error {}

export function fail(message: string): never {
  throw new Failure(message);
}

/** Polls `look` until it returns a value; fails with `what` and the last thing `look` saw. */
export async function waitFor<T>(what: string, look: () => Promise<T | undefined> | T | undefined, timeoutMs: number, seen?: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await look();
    if (value !== undefined) return value;
    if (Date.now() > deadline) fail(`${what} did not happen within ${Math.round(timeoutMs / 1000)} s${seen ? `; ${seen()}` : ''}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}
