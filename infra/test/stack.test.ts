/**
 * The Swarm stack file (infra/swarm/stack.yaml), loaded by `docker stack config` (the loader
 * `docker stack deploy` uses; it needs the Docker CLI only, no engine or Swarm), then checked
 * for what a deployment on several nodes needs. compose.yaml goes through the same loader to
 * show why it is not the stack file, and through `docker compose config` where the Compose
 * plugin is installed. Each check also runs on a broken stand-in from fixtures/broken/swarm/.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeProblems, kubernetesImages, loadCompose } from './support/compose.js';
import { Workspace, type K8sObject } from './support/kustomize.js';
import { fixturesDir, imagedWorkspaces, repoRoot, services, shutdownLimitSeconds } from './support/repo.js';
import { configProblems } from './support/service-config.js';
import { loadSkaffold } from './support/skaffold.js';
import { serviceEnv, stackConfig, stackProblems, type StackConfig, type StackContext } from './support/stack.js';

const STACK = join(repoRoot, 'infra', 'swarm', 'stack.yaml');
const broken = (name: string) => join(fixturesDir, 'broken', 'swarm', name);
const env = { REGISTRY: 'registry.example.com:5000', TAG: '1.4.2', STRIPE_SECRET_KEY: 'sk_live_example', STRIPE_WEBHOOK_SECRET: 'whsec_example' };

let ws: Workspace;
let dev: K8sObject[];
let ctx: StackContext;
let stack: StackConfig;

beforeAll(() => {
  ws = new Workspace(); // its make-dev-secrets.sh run writes the files the secrets are made from
  dev = ws.overlay('dev');
  ctx = { registry: env.REGISTRY, kubernetesImages: kubernetesImages(dev), shutdownSeconds: shutdownLimitSeconds() };
  const loaded = stackConfig(STACK, env);
  if (!loaded.config) throw new Error(`docker stack config -c infra/swarm/stack.yaml failed:\n${loaded.error}`);
  stack = loaded.config;
}, 60_000);
afterAll(() => ws?.remove());

describe('the Swarm stack file, as `docker stack config` loads it', () => {
  it('when loaded with REGISTRY and TAG set, then the loader accepts it and resolves every image of ours to the registry', () => {
    expect(Object.keys(stack.services).sort()).toEqual(
      ['nats', 'front-door', ...imagedWorkspaces(), ...services().map((s) => `${s}-postgres`)].sort(),
    );
    for (const w of imagedWorkspaces()) expect(stack.services[w]?.image).toBe(`${env.REGISTRY}/ticketing/${w}:${env.TAG}`);
  });

  it('when REGISTRY is not set, then the loader refuses it and says what to set', () => {
    const { error } = stackConfig(STACK, { REGISTRY: '' });
    expect(error).toMatch(/required variable REGISTRY is missing a value: set REGISTRY to the registry the images were pushed to/);
  });

  it('when resolved, then every service has deploy settings, a health check, the overlay network, external secrets and pinned volumes', () => {
    expect(stackProblems(stack, ctx)).toEqual([]);
    expect(stack.networks?.['ticketing']).toMatchObject({ driver: 'overlay' });
    for (const [name, svc] of Object.entries(stack.services)) {
      expect({ name, update: svc.deploy?.update_config?.failure_action }).toEqual({ name, update: 'rollback' });
      expect({ name, limits: svc.deploy?.resources?.limits }).toEqual({ name, limits: { cpus: expect.any(String), memory: expect.any(String) } });
    }
    expect(Object.values(stack.secrets ?? {}).every((s) => s.external === true)).toBe(true);
    for (const volume of ['nats-data', ...services().map((s) => `${s}-pgdata`)]) expect(stack.volumes).toHaveProperty(volume);
  });

  it('when only auth is given the session-signing private key, then no other service can mint sessions', () => {
    const holders = Object.entries(stack.services)
      .filter(([, svc]) => (svc.secrets ?? []).some((s) => stack.secrets?.[s.source]?.name === 'ticketing-jwt-private'))
      .map(([name]) => name);
    expect(holders).toEqual(['auth']);
  });

  it('when each service validates the environment and secret files the stack gives it, then it would start', async () => {
    for (const s of services()) expect(await configProblems(s, serviceEnv(stack, s, ws.devSecrets))).toEqual([]);
  });

  it('when the deploying shell sets neither STRIPE_SECRET_KEY nor PAYMENTS_PROVIDER, then payments would refuse to start (fails closed)', async () => {
    const { config } = stackConfig(STACK, { REGISTRY: env.REGISTRY, TAG: env.TAG });

    expect(await configProblems('payments', serviceEnv(config!, 'payments', ws.devSecrets))).toEqual([
      expect.stringMatching(/^payments: STRIPE_SECRET_KEY: is required in production/),
    ]);
  });

  it('when the deploying shell sets STRIPE_SECRET_KEY but not STRIPE_WEBHOOK_SECRET, then payments would refuse to start (no payment learned of only late)', async () => {
    const { config } = stackConfig(STACK, { REGISTRY: env.REGISTRY, TAG: env.TAG, STRIPE_SECRET_KEY: env.STRIPE_SECRET_KEY });

    expect(await configProblems('payments', serviceEnv(config!, 'payments', ws.devSecrets))).toEqual([
      expect.stringMatching(/^payments: STRIPE_WEBHOOK_SECRET: is required in production with the stripe provider/),
    ]);
  });

  it('when a stack file is not fit for several nodes, then the check names each problem', () => {
    const { config, error } = stackConfig(broken('stack.yaml'), env);
    expect(error).toBeUndefined();
    expect(stackProblems(config!, ctx)).toEqual([
      'stack service tickets: image ticketing/tickets:latest is not from the registry (registry.example.com:5000)',
      'stack service tickets: no rolling update order (update_config.order)',
      'stack service tickets: a failed update does not roll back',
      'stack service tickets: no restart policy',
      'stack service tickets: no cpus and memory limits',
      'stack service tickets: no cpus and memory reservations',
      expect.stringMatching(/^stack service tickets: bind-mounts .*infra\/k8s\/overlays\/dev\/secrets, which every node would need$/),
      'stack service tickets: an update stops the old task before the new one is healthy (order start-first)',
      'stack service tickets: health check asks /health, which it does not serve (/readyz)',
      'stack service tickets: is on no overlay network',
      'stack service tickets: secret tickets-db comes from a file in the repository, not from the Swarm',
      'stack service tickets: reads /run/secrets/jwt-public.env, which no secret is mounted at',
      'stack service tickets: stop_grace_period 10s (default) is not longer than the 20 s shutdown',
      'stack service tickets: root filesystem is not read-only',
      'stack service tickets: does not drop all capabilities',
      'stack service tickets-postgres: keeps data in a volume but may be scheduled on any node',
      'stack service tickets-postgres: keeps data in a volume but starts the new task before stopping the old one',
      'stack service tickets-postgres: is on no overlay network',
      'stack service tickets-postgres: POSTGRES_PASSWORD is in the environment, not a secret',
    ]);
  });

  it("when a file uses compose.yaml's depends_on conditions and name, then the loader refuses each, as `docker stack deploy` would", () => {
    const text = readFileSync(broken('loader.yaml'), 'utf8');
    expect(stackConfig(broken('loader.yaml'), env).error).toBe('services.tickets.depends_on must be a list');
    // With depends_on as a list, the loader stops at the next mistake.
    const listed = join(ws.root, 'loader-depends-on-list.yaml');
    writeFileSync(listed, text.replace(/depends_on:\n\s+nats:\n\s+condition: service_healthy/, 'depends_on: [nats]'));
    expect(stackConfig(listed, env).error).toBe('(root) Additional property name is not allowed');
  });
});

describe('compose.yaml and the Swarm and Compose loaders', () => {
  it('when given to the Swarm loader, then it is refused, as expected: compose.yaml is for one host (depends_on conditions, name, build); Swarm uses infra/swarm/stack.yaml', () => {
    // The loader reports the first service it meets, in no fixed order.
    expect(stackConfig(join(repoRoot, 'compose.yaml'), env).error).toMatch(/^services\.[a-z-]+\.depends_on must be a list$/);
  });

  const plugin = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
  const composeInstalled = plugin.status === 0;
  it(
    composeInstalled
      ? 'when `docker compose config` loads compose.yaml (the Compose plugin is installed), then it accepts it'
      : 'when the Compose plugin is not installed (here), then `docker compose` is reported missing, and compose.yaml is checked offline only (compose.test.ts)',
    () => {
      if (composeInstalled) {
        // In the scratch copy, where make-dev-secrets.sh wrote the env files compose.yaml reads.
        const copy = join(ws.root, 'compose.yaml');
        writeFileSync(copy, readFileSync(join(repoRoot, 'compose.yaml'), 'utf8'));
        const result = spawnSync('docker', ['compose', '-f', copy, 'config', '--quiet'], { encoding: 'utf8' });
        expect({ status: result.status, stderr: result.stderr.trim() }).toEqual({ status: 0, stderr: '' });
      } else {
        expect(`${plugin.stderr}${plugin.stdout}`).toMatch(/unknown (command|shorthand flag)|is not a docker command/);
        // What can be checked without the plugin: the offline cross-checks of compose.test.ts.
        const compose = loadCompose(join(repoRoot, 'compose.yaml'));
        const composeCtx = { root: repoRoot, secretsDir: ws.devSecrets, artifacts: loadSkaffold().build?.artifacts ?? [], kubernetesImages: ctx.kubernetesImages };
        expect(composeProblems(compose, composeCtx)).toEqual([]);
      }
    },
  );
});
