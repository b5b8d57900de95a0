/**
 * contracts' busAccess, from which NATS's permissions are generated, says exactly what each
 * service does on the bus: the subjects its listeners consume and the ones its code enqueues.
 * A listener or event missing from it would be refused by NATS; an extra entry would be a
 * permission nobody needs.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { busAccess, subjects, type BusService } from '@ticketing/contracts';
import { repoRoot } from '@ticketing/devkit/system/services';
import { describe, expect, it } from 'vitest';

const services = Object.keys(busAccess) as BusService[];

/** The subjects a service's listeners take: its src/events/listeners.ts, as its main.ts starts them. */
async function consumed(service: BusService): Promise<string[]> {
  const { listeners } = (await import(join(repoRoot, service, 'src', 'events', 'listeners.ts'))) as {
    listeners: { subject: string }[] | ((queue: unknown) => { subject: string }[]);
  };
  return (typeof listeners === 'function' ? listeners({}) : listeners).map((l) => l.subject).sort();
}

/** The subjects a service's code enqueues (`enqueueEvent(tx, '<subject>', ...)`). */
function enqueued(service: BusService): string[] {
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : f.endsWith('.ts') ? [join(dir, f)] : []));
  const found = files(join(repoRoot, service, 'src')).flatMap((f) =>
    [...readFileSync(f, 'utf8').matchAll(/enqueueEvent\(\s*\w+,\s*'([^']+)'/g)].map((m) => m[1]!),
  );
  return [...new Set(found)].sort();
}

describe("contracts' busAccess", () => {
  it('when compared with what each service consumes and publishes, then it says exactly that', async () => {
    for (const s of services) {
      expect(await consumed(s), `${s} consumes`).toEqual([...busAccess[s].consumes].sort());
      expect(enqueued(s), `${s} publishes`).toEqual([...busAccess[s].publishes].sort());
    }
  });

  it('when every subject is looked up, then exactly one service publishes it', () => {
    for (const subject of subjects) expect(services.filter((s) => (busAccess[s].publishes as readonly string[]).includes(subject)), subject).toHaveLength(1);
  });
});
