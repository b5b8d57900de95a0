/**
 * The NATS release line the tests run on is the one production runs: the nats image the
 * Kubernetes manifests, compose.yaml and the Swarm stack pin, the server the test run uses,
 * the oldest one devkit accepts and the one scripts/nats-server.sh fetches all share a
 * major.minor. Behaviour differs between release lines (on 2.9, `msg.term(reason)` is
 * not final), so a test passing on another line proves little about production.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, nanos } from '@nats-io/transport-node';
import { NATS_MIN_VERSION } from '@ticketing/devkit/system/nats-server';
import { createTestBus, NATS_URL } from '@ticketing/testkit';
import { describe, expect, it } from 'vitest';
import { infraDir, repoRoot } from './support/repo.js';

const majorMinor = (version: string) => version.split('.').slice(0, 2).join('.');

/** Every `image: nats:<tag>` in `file`, as [file, tag]. */
function natsImages(file: string): [string, string][] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/image:\s*["']?(?:docker\.io\/)?(?:library\/)?nats:([^\s"']+)/g)].map((m) => [file.slice(repoRoot.length + 1), m[1]!]);
}

const yamlFiles = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => /\.ya?ml$/.test(f)).map((f) => join(dir, f));

const pinned = [
  ...yamlFiles(join(infraDir, 'k8s')),
  join(repoRoot, 'compose.yaml'),
  join(infraDir, 'swarm', 'stack.yaml'),
].flatMap(natsImages);

describe('the NATS release line', () => {
  it('when the manifests, compose.yaml and the stack are read, then each pins one nats image, all of one major.minor', () => {
    expect(pinned.map(([file]) => file)).toEqual(expect.arrayContaining(['infra/k8s/base/nats.yaml', 'compose.yaml', 'infra/swarm/stack.yaml']));
    for (const [, tag] of pinned) expect(tag).toMatch(/^\d+\.\d+\.\d+/);
    expect(new Set(pinned.map(([, tag]) => majorMinor(tag))).size).toBe(1);
  });

  it("when the test run's NATS server is asked its version, then it is the manifests' major.minor", async () => {
    const nc = await connect({ servers: NATS_URL });
    try {
      expect(majorMinor(nc.info!.version)).toBe(majorMinor(pinned[0]![1]));
    } finally {
      await nc.close();
    }
  });

  it("when devkit's minimum and scripts/nats-server.sh's are read, then both are the manifests' major.minor", () => {
    const script = readFileSync(join(repoRoot, 'scripts', 'nats-server.sh'), 'utf8');
    expect(NATS_MIN_VERSION).toBe(majorMinor(pinned[0]![1]));
    expect(/^NATS_MIN=(\S+)/m.exec(script)?.[1]).toBe(NATS_MIN_VERSION);
  });

  it('when a test worker reads NATS_URL, then it names the same server, so `npm start` run by a test reaches it', () => {
    expect(process.env.NATS_URL).toBe(NATS_URL);
  });

  it('when a message is terminated with a reason on the test server, then it is final: not redelivered after ack_wait', async () => {
    const bus = createTestBus();
    const nc = await connect({ servers: NATS_URL });
    try {
      const { NATS_STREAM: stream, NATS_SUBJECT_PREFIX: prefix } = bus.env;
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: stream, subjects: [`${prefix}>`] });
      await jsm.consumers.add(stream, { durable_name: 'term', ack_policy: AckPolicy.Explicit, ack_wait: nanos(500) });
      const js = jetstream(nc);
      await js.publish(`${prefix}poison`, 'bad');
      const consumer = await js.consumers.get(stream, 'term');
      (await consumer.next({ expires: 2000 }))!.term('cannot be handled');
      // On 2.9 it came back here, once ack_wait was over.
      expect(await consumer.next({ expires: 1500 })).toBeNull();
    } finally {
      await nc.close();
      await bus.remove();
    }
  });
});
