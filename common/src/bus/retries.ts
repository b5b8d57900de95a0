import type { FailureCause } from './failures.js';

export interface RetryBookOptions {
  /** An event still failing this long after it was published is stuck: logged at error level and counted, once. */
  stuckAfterMs: number;
  /** At most one failure log line per consumer and cause in this time; the rest are counted in it. */
  logEveryMs: number;
}

interface Retrying {
  cause: FailureCause;
  publishedAt: number;
  lastFailedAt: number;
  stuck: boolean;
}

/** What `/readyz` shows of the events this replica is retrying. */
export interface RetrySummary {
  retrying: number;
  /** Age of the oldest one (since it was published), in seconds. */
  oldestSeconds: number;
  stuck: number;
  causes: Partial<Record<FailureCause, number>>;
}

/**
 * The events this replica keeps retrying, so that an outage or a stuck replica shows in
 * `/readyz`, the metrics and the log without a line per delivery. An event another replica took
 * over, or that was settled there, is forgotten once it has not failed here for a while.
 */
export class RetryBook {
  private readonly events = new Map<string, Retrying>();
  private readonly logged = new Map<string, { at: number; suppressed: number }>();
  /** Longer than any redelivery delay plus the ack wait. */
  private readonly forgetAfterMs = 5 * 60_000;

  constructor(readonly options: RetryBookOptions) {}

  /**
   * Notes a failed delivery. Says whether to log it (with how many were not logged since the last
   * line) and whether the event has just become stuck.
   */
  failed(
    key: { consumer: string; eventId: string },
    info: { cause: FailureCause; publishedAt: number },
    now = Date.now(),
  ): { log: boolean; suppressed: number; becameStuck: boolean } {
    const id = `${key.consumer}\0${key.eventId}`;
    const entry = this.events.get(id) ?? { ...info, lastFailedAt: now, stuck: false };
    entry.cause = info.cause;
    entry.lastFailedAt = now;
    const becameStuck = !entry.stuck && now - entry.publishedAt >= this.options.stuckAfterMs;
    if (becameStuck) entry.stuck = true;
    this.events.set(id, entry);

    const logKey = `${key.consumer}\0${info.cause}`;
    const last = this.logged.get(logKey);
    if (last && now - last.at < this.options.logEveryMs) {
      last.suppressed++;
      return { log: false, suppressed: 0, becameStuck };
    }
    this.logged.set(logKey, { at: now, suppressed: 0 });
    return { log: true, suppressed: last?.suppressed ?? 0, becameStuck };
  }

  /** The event was handled (or dead-lettered) here: no longer retrying. */
  settled(key: { consumer: string; eventId: string }) {
    this.events.delete(`${key.consumer}\0${key.eventId}`);
  }

  summary(now = Date.now()): RetrySummary {
    const summary: RetrySummary = { retrying: 0, oldestSeconds: 0, stuck: 0, causes: {} };
    for (const [id, e] of this.events) {
      if (now - e.lastFailedAt > this.forgetAfterMs) {
        this.events.delete(id);
        continue;
      }
      summary.retrying++;
      summary.oldestSeconds = Math.max(summary.oldestSeconds, Math.round((now - e.publishedAt) / 1000));
      if (e.stuck) summary.stuck++;
      summary.causes[e.cause] = (summary.causes[e.cause] ?? 0) + 1;
    }
    return summary;
  }
}
