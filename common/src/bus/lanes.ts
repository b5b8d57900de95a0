/**
 * Runs tasks at most `limit` at a time, in lanes by key: tasks of one key run one after another
 * in the order they were added, tasks of different keys side by side. A task waiting behind
 * another of its key counts towards the limit, so a burst for one key cannot fill memory.
 */
export class KeyedLanes {
  private readonly tails = new Map<string, Promise<void>>();
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private emptied: (() => void) | undefined;

  constructor(private readonly limit: number) {}

  /** Resolves once the task is queued in its lane (at once, unless `limit` tasks are under way). */
  async add(key: string, task: () => Promise<void>): Promise<void> {
    while (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    const tail = (this.tails.get(key) ?? Promise.resolve())
      .then(task)
      .catch(() => {}) // a task handles its own failures; one that throws must not stall its lane
      .finally(() => {
        if (this.tails.get(key) === tail) this.tails.delete(key);
        this.running--;
        this.waiting.shift()?.();
        if (this.running === 0) this.emptied?.();
      });
    this.tails.set(key, tail);
  }

  /** Resolves once every task added so far has finished. */
  async idle(): Promise<void> {
    while (this.running > 0) await new Promise<void>((resolve) => (this.emptied = resolve));
  }
}
