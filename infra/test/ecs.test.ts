/**
 * The ECS (Fargate) task definitions in infra/ecs/task-definitions/: generated from the base
 * manifests by infra/ecs/generate.ts and committed, so the committed files must be its output;
 * checked against the manifests (every workload, images, ports, environment and secrets, the
 * readiness probe, grace period, sizes, volumes, hardening) and against ECS's own input type and
 * limits. Nothing here reaches AWS. Each check also runs on a broken stand-in from
 * fixtures/broken/ecs*.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { generate, outDir } from '../ecs/generate.js';
import { ecsLimitProblems, ecsProblems, ecsTypeProblems, loadTaskDefinitions, natsImageProblems, type TaskDefinition } from './support/ecs.js';
import { lint } from './support/dockerfile.js';
import { kustomize, type K8sObject } from './support/kustomize.js';
import { fixturesDir, infraDir, read } from './support/repo.js';

const brokenDir = join(fixturesDir, 'broken', 'ecs');
const kustomization = parse(read('infra/k8s/base/kustomization.yaml'));
/** The users the NATS configuration names: nats-users holds one key for each. */
const natsUsers = [...new Set([...read('infra/k8s/base/nats-authorization.conf').matchAll(/\$(NKEY_[A-Z_]+)/g)].map((m) => m[1]!))];

let base: K8sObject[];
let committed: Map<string, TaskDefinition>;

beforeAll(() => {
  base = kustomize(join(infraDir, 'k8s', 'base'));
  committed = loadTaskDefinitions(outDir);
}, 60_000);

/** The committed task definitions with fixture files put over them, some taken away. */
function withFixtures(dir: string, without: string[] = []): Map<string, TaskDefinition> {
  const defs = new Map([...committed, ...loadTaskDefinitions(dir)]);
  for (const name of without) defs.delete(name);
  return defs;
}

describe('the ECS task definitions, generated from the base manifests', () => {
  it('when the generator runs on the base manifests, then its output is exactly the committed files', () => {
    const files = generate(base);
    const onDisk = new Map([...files.keys()].map((f) => [f, readFileSync(join(outDir, f), 'utf8')]));
    expect([...committed.keys()].map((n) => `${n}.json`).sort()).toEqual([...files.keys()].sort());
    for (const [f, text] of files) expect({ f, text: onDisk.get(f) }).toEqual({ f, text });
  });

  it('when a manifest changes (a new readiness path for tickets), then the output no longer matches the committed files', () => {
    const changed = structuredClone(base);
    const tickets = changed.find((o) => o.kind === 'Deployment' && o.metadata.name === 'tickets') as K8sObject & {
      spec: { template: { spec: { containers: { readinessProbe: { httpGet: { path: string } } }[] } } };
    };
    tickets.spec.template.spec.containers[0]!.readinessProbe.httpGet.path = '/ready';
    const files = generate(changed);
    expect(files.get('tickets.json')).not.toBe(readFileSync(join(outDir, 'tickets.json'), 'utf8'));
    expect(files.get('orders.json')).toBe(readFileSync(join(outDir, 'orders.json'), 'utf8'));
  });
});

describe('the ECS task definitions, against the manifests', () => {
  it('when cross-checked, then every workload but PostgreSQL has one, and images, ports, environment, secrets, health checks, grace periods, sizes, volumes and hardening agree', () => {
    expect([...committed.keys()].sort()).toEqual(['auth', 'client', 'expiration', 'nats', 'orders', 'payments', 'tickets']);
    expect(ecsProblems(base, committed, natsUsers)).toEqual([]);
  });

  it('when only auth is given the session-signing private key, then no other task can mint sessions', () => {
    const holders = [...committed].filter(([, d]) => d.containerDefinitions!.some((c) => c.secrets?.some((s) => s.name === 'JWT_PRIVATE_KEY')));
    expect(holders.map(([n]) => n)).toEqual(['auth']);
  });

  it('when task definitions disagree with the manifests, then the check names each disagreement', () => {
    expect(ecsProblems(base, withFixtures(brokenDir, ['payments']), natsUsers)).toEqual([
      'redis.json: no such workload in the manifests',
      'Deployment/payments: no task definition (payments.json)',
      'tickets.json: image ticketing/tickets:latest, the manifests run ticketing/tickets',
      'tickets.json: ports http:3000, the pod declares http:3000, metrics:9464',
      'tickets.json: LOG_LEVEL=debug, the pod has info',
      'tickets.json: NATS_STREAM is missing from the environment',
      "tickets.json: NATS_NKEY_SEED comes from auth-nats:NATS_NKEY_SEED, the pod's from tickets-nats:NATS_NKEY_SEED",
      'tickets.json: JWT_PUBLIC_KEY is in the environment, the pod takes it from Secret jwt-public',
      expect.stringMatching(/^tickets\.json: health check runs ".*\/health'\).*", the readiness probe asks http:\/\/127\.0\.0\.1:3000\/readyz$/),
      "tickets.json: health check interval 2, the readiness probe's is 5",
      "tickets.json: stopTimeout 300, the pod's grace period is 30 s",
      "tickets.json: container memory 256, the pod's is 320",
      'tickets.json: cpu 256 with memory 4096 is not a Fargate task size',
      'tickets.json: nothing mounted at /tmp',
      'tickets.json: root filesystem is writable',
    ]);
  });

  it('when within the ranges ECS and Fargate accept, then no limit is crossed; outside them, each is named', () => {
    expect(ecsLimitProblems(committed)).toEqual([]);
    expect(ecsLimitProblems(withFixtures(brokenDir))).toEqual([
      'tickets.json server: healthCheck.interval 2 is outside 5-300',
      'tickets.json server: stopTimeout (Fargate) 300 is outside 2-120',
    ]);
  });
});

describe('the ECS task definitions, typed as RegisterTaskDefinitionCommandInput (@aws-sdk/client-ecs) by tsc', () => {
  it('when type-checked, then every file is a valid RegisterTaskDefinition input; misspelled fields, wrong types and unknown enum values fail', () => {
    expect(ecsTypeProblems(committed)).toEqual([]);
    const problems = ecsTypeProblems(loadTaskDefinitions(join(fixturesDir, 'broken', 'ecs-types')));
    expect(problems).toEqual([
      `client.json: error TS2353: Object literal may only specify known properties, and '"stopTimout"' does not exist in type 'ContainerDefinition'.`,
      expect.stringMatching(/^orders\.json: error TS2322: Type '"vpc"' is not assignable to type 'NetworkMode/),
      expect.stringMatching(/^orders\.json: error TS2322: Type '"http"' is not assignable to type 'TransportProtocol/),
      expect.stringMatching(/^orders\.json: error TS2322: Type 'string' is not assignable to type 'number'/),
    ]);
  }, 60_000);
});

describe('the NATS image with its configuration built in (infra/ecs/nats.Dockerfile)', () => {
  it('when compared with the StatefulSet and the nats-config ConfigMap, then it runs the same server with the same files where the pod mounts them, and lints clean', () => {
    expect(natsImageProblems(read('infra/ecs/nats.Dockerfile'), base, kustomization)).toEqual([]);
    expect(lint(join(infraDir, 'ecs', 'nats.Dockerfile'))).toEqual([]);
  });

  it('when the image is of another release and leaves a file out, then both are named', () => {
    expect(natsImageProblems(readFileSync(join(brokenDir, 'nats.Dockerfile'), 'utf8'), base, kustomization)).toEqual([
      'nats image: FROM nats:2.9.10-alpine, the StatefulSet runs nats:2.10.29-alpine',
      'nats image: /etc/nats/authorization.conf should be nats-authorization.conf, is not copied',
    ]);
  });
});
