/**
 * compose.yaml, parsed and cross-checked offline (no Docker engine runs here): the same
 * images as skaffold.yaml and the Kubernetes manifests, dependencies and health checks that
 * resolve, URLs that reach a service on the port it listens on, each service's configuration
 * accepted by its own schema, and one front door with the Ingress's routes.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  composeProblems,
  frontDoorRoutes,
  kubernetesImages,
  loadCompose,
  notPassedFromShell,
  serviceEnv,
  type ComposeContext,
} from './support/compose.js';
import { services as k8sServices } from './support/k8s.js';
import { Workspace, type K8sObject } from './support/kustomize.js';
import { apiRoutes, fixturesDir, read, repoRoot, services } from './support/repo.js';
import { configProblems } from './support/service-config.js';
import { loadSkaffold } from './support/skaffold.js';

const compose = loadCompose(join(repoRoot, 'compose.yaml'));
let ws: Workspace;
let dev: K8sObject[];
let ctx: ComposeContext;

beforeAll(() => {
  ws = new Workspace(); // its make-dev-secrets.sh run writes the env files compose reads
  dev = ws.overlay('dev');
  ctx = { root: repoRoot, secretsDir: ws.devSecrets, artifacts: loadSkaffold().build?.artifacts ?? [], kubernetesImages: kubernetesImages(dev) };
}, 60_000);
afterAll(() => ws?.remove());

describe('compose.yaml', () => {
  it('when parsed, then it runs every image, NATS, a PostgreSQL per service and the front door', () => {
    const names = Object.keys(compose.services);
    expect(names).toEqual(
      expect.arrayContaining(['nats', 'client', 'front-door', ...services(), ...services().map((s) => `${s}-postgres`)]),
    );
    expect(compose.services['nats']?.command).toEqual(expect.arrayContaining(['-js', '-sd']));
    expect(compose.services['nats']?.volumes).toEqual([
      expect.stringMatching(/^nats-data:/),
      './infra/k8s/base/nats-authorization.conf:/etc/nats/authorization.conf:ro',
    ]);
    // Each service signs in to NATS with its own seed, as in Kubernetes.
    for (const s of services()) expect(compose.services[s]?.env_file).toContain(`infra/k8s/overlays/dev/secrets/${s}-nats.env`);
  });

  it('when cross-checked, then images, hardening, dependencies, health checks, env files, volumes, URLs and the one published port all resolve', () => {
    expect(composeProblems(compose, ctx)).toEqual([]);
  });

  it('when a broken compose file is cross-checked, then the check names each mistake', () => {
    const broken = loadCompose(join(fixturesDir, 'broken', 'compose.yaml'));
    expect(composeProblems(broken, ctx)).toEqual([
      'compose service nats: volume bus-data is not declared',
      'compose service tickets-postgres: image postgres:16-alpine is not pinned to a release',
      'compose service tickets: image ticketing/ticket is not an artifact in skaffold.yaml',
      'compose service tickets: root filesystem is not read-only',
      'compose service tickets: does not drop all capabilities',
      'compose service tickets: may gain privileges (no-new-privileges)',
      'compose service tickets: depends on redis, which is not a service',
      'compose service tickets: health check asks /health of ticketing/ticket, whose endpoints are unknown',
      'compose service tickets DATABASE_URL: host postgres is not a service',
      'compose service orders: builds ./Dockerfile with SERVICE=order, skaffold builds ./Dockerfile with SERVICE=orders',
      'compose service orders: build arg SERVICE=order is not one the Dockerfile accepts (auth, tickets, orders, expiration, payments)',
      'compose service front-door: root filesystem is not read-only',
      'compose service front-door: does not drop all capabilities',
      'compose service front-door: may gain privileges (no-new-privileges)',
      'compose publishes 2 ports; the front door should be the only one',
      'front door: /api/users goes to auth, which is not a service',
      'front door: /api/payments goes to payments, which is not a service',
      'front door: / goes to client, which is not a service',
    ]);
  });

  it("when each service validates the environment compose gives it, then it would start", async () => {
    for (const s of services()) expect(await configProblems(s, serviceEnv(compose.services[s]!, ctx))).toEqual([]);
  });

  it('when a setting is bad, then the service refuses it by name', async () => {
    const broken = loadCompose(join(fixturesDir, 'broken', 'compose.yaml'));
    expect(await configProblems('tickets', serviceEnv(broken.services['tickets']!, ctx))).toEqual([
      expect.stringMatching(/^tickets: NATS_STREAM: /),
    ]);
  });

  it("when Kubernetes gives a container a setting from the stripe Secret, then compose passes it from your shell: payments' key and webhook signing secret, the client's publishable key", () => {
    for (const w of ['payments', 'client']) expect(notPassedFromShell(compose.services[w]!, dev, w, 'stripe'), w).toEqual([]);
    const { STRIPE_WEBHOOK_SECRET: _, ...withoutWebhook } = compose.services['payments']!.environment as Record<string, string>;
    expect(notPassedFromShell({ ...compose.services['payments']!, environment: withoutWebhook }, dev, 'payments', 'stripe')).toEqual(['STRIPE_WEBHOOK_SECRET']);
  });

  it('when only auth is given the session-signing private key, then no other container can mint sessions', () => {
    const holders = Object.entries(compose.services)
      .filter(([, svc]) => 'JWT_PRIVATE_KEY' in serviceEnv(svc, ctx))
      .map(([name]) => name);
    expect(holders).toEqual(['auth']);
  });
});

describe('the front door (nginx.conf, shared by compose and the Kubernetes front-door component)', () => {
  const conf = read('infra/k8s/components/front-door/nginx.conf');
  const expected = new Map([...[...apiRoutes()].map(([path, s]) => [path, `${s}:3000`] as const), ['/', 'client:3000']]);

  it('when its routes are read, then they are the Ingress routes: each API prefix to its service, the rest to the client', () => {
    expect(Object.fromEntries(frontDoorRoutes(conf))).toEqual(Object.fromEntries(expected));
  });

  it('when deployed in Kubernetes, then every upstream is a Service with that port', () => {
    for (const upstream of frontDoorRoutes(conf).values()) {
      const [host, port] = upstream.split(':');
      const svc = k8sServices(dev).find((s) => s.metadata.name === host);
      expect({ upstream, ports: svc?.spec?.ports?.map((p) => p.port) }).toEqual({ upstream, ports: [Number(port)] });
    }
  });

  it('when a front door sends a prefix elsewhere or drops one, then the comparison shows it', () => {
    const broken = frontDoorRoutes(read('infra/test/fixtures/broken/nginx.conf'));
    expect(Object.fromEntries(broken)).not.toEqual(Object.fromEntries(expected));
    expect(broken.get('/api/orders')).toBe('tickets:3000');
    expect(broken.has('/api/users')).toBe(false);
  });
});

