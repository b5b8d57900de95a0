/**
 * The Render Blueprint (infra/render/render.yaml), hand-written from the base manifests and
 * checked against them: a private service, disk or managed database for every workload, one
 * public front door with the HTTPRoute's routes, the same images, environment and secrets,
 * sizes, grace periods and health checks; and against the schema of the Blueprint fields it
 * uses. Nothing here reaches Render. Each check also runs on fixtures/broken/render/.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { httpRoutes } from './support/gateway.js';
import { lint } from './support/dockerfile.js';
import { kustomize, type K8sObject } from './support/kustomize.js';
import { blueprintSchemaProblems, frontDoorProblems, loadBlueprint, renderEnv, renderProblems } from './support/render.js';
import { fixturesDir, infraDir, read, services } from './support/repo.js';

const blueprint = loadBlueprint(join(infraDir, 'render', 'render.yaml'));
const broken = loadBlueprint(join(fixturesDir, 'broken', 'render', 'render.yaml'));
const dockerfile = read('infra/render/front-door.Dockerfile');
const nginxConf = read('infra/k8s/components/front-door/nginx.conf');

let base: K8sObject[];
let routes: { path: string; backend: string }[];

beforeAll(() => {
  base = kustomize(join(infraDir, 'k8s', 'base'));
  routes = httpRoutes(base).flatMap((r) =>
    (r.spec.rules ?? []).flatMap((rule) => (rule.matches ?? []).map((m) => ({ path: m.path?.value ?? '/', backend: rule.backendRefs?.[0]?.name ?? '' }))),
  );
}, 60_000);

describe('the Render Blueprint, against the manifests', () => {
  it('when cross-checked, then every workload has its private service, disk or database, and images, environment, secrets, sizes, grace periods and health checks agree', () => {
    expect(blueprint.services.map((s) => `${s.type} ${s.name}`).sort()).toEqual(
      ['web front-door', 'pserv client', 'pserv nats', ...services().map((s) => `pserv ${s}`)].sort(),
    );
    expect(blueprint.databases?.map((d) => d.name).sort()).toEqual(services().map((s) => `${s}-postgres`).sort());
    expect(renderProblems(base, blueprint)).toEqual([]);
  });

  it('when only auth is given the session-signing private key, then no other service can mint sessions', () => {
    const holders = blueprint.services.filter((s) => renderEnv(blueprint, s).has('JWT_PRIVATE_KEY')).map((s) => s.name);
    expect(holders).toEqual(['auth']);
  });

  it('when the Blueprint disagrees with the manifests, then the check names each disagreement', () => {
    expect(renderProblems(base, broken)).toEqual([
      'render service client: AUTH_URL does not reach auth (http://auth:3000 in the manifests)',
      "render service client: STRIPE_SECRET_KEY is not in the pod's environment",
      'render service expiration: DATABASE_POOL_SIZE is not set',
      'Deployment/payments: no Render service payments',
      'render service tickets: image ghcr.io/<OWNER>/ticketing-ticket:<TAG>, the manifests run ticketing/tickets',
      'render service tickets: DATABASE_URL is not the connection string of database tickets-postgres',
      'render service tickets: NATS_NKEY_SEED is a value in the Blueprint, the pod takes it from Secret tickets-nats',
      'render service tickets: healthCheckPath /readyz, but Render checks private services over TCP only',
      "render service tickets: maxShutdownDelaySeconds 10, the pod's grace period is 30 s",
      'render database expiration-postgres: PostgreSQL 15, the StatefulSet runs 16',
      'render service nats: disk of 1 GB, the claim asks 2 GiB',
      'render service nats: maxShutdownDelaySeconds is not accepted on a service with a disk',
    ]);
  });
});

describe('the front door on Render (infra/render/front-door.Dockerfile over the front door nginx.conf)', () => {
  it("when its routes are read, then each HTTPRoute path goes to its backend's Render address, and Render's health check asks a path nginx answers; the Dockerfile lints clean", () => {
    expect(routes.map((r) => r.path)).toEqual(['/api/users', '/api/tickets', '/api/orders', '/api/payments', '/']);
    expect(frontDoorProblems(blueprint, routes, dockerfile, nginxConf)).toEqual([]);
    expect(lint(join(infraDir, 'render', 'front-door.Dockerfile'))).toEqual([]);
  });

  it('when a route goes to the wrong service, the rewrite misses an upstream or the health check asks a path nginx does not serve, then each is named', () => {
    expect(frontDoorProblems(broken, routes, dockerfile, nginxConf)).toEqual([
      "front door: /api/orders goes to ORDERS_HOSTPORT, which is payments's hostport, not orders's address",
      'front door: health check /health is not a path nginx answers itself (/healthz)',
    ]);
    const missed = dockerfile.replace(/\s*-e 's#http:\/\/client:3000#[^\n]*\n/, '\n');
    expect(frontDoorProblems(blueprint, routes, missed, nginxConf)).toEqual(['front door: / goes to client:3000, not to a Render address']);
  });
});

describe('the Render Blueprint, against the schema of the fields it uses (infra/render/blueprint.schema.json)', () => {
  it('when validated, then it passes; misspelled fields, wrong types, unknown plans, two sources for one variable and a private service with an HTTP health check fail', () => {
    expect(blueprintSchemaProblems(blueprint)).toEqual([]);
    expect(blueprintSchemaProblems(loadBlueprint(join(fixturesDir, 'broken', 'render', 'schema.yaml')))).toEqual(
      expect.arrayContaining([
        '/services/0: must NOT have additional properties (healthCheckPth)',
        '/services/1/plan: must be equal to one of the allowed values',
        expect.stringMatching(/^\/services\/\d+\/disk\/sizeGB: must be integer$/),
        expect.stringMatching(/^\/services\/\d+: must NOT be valid$/),
        '/envVarGroups/0/envVars/0: must NOT have additional properties (sync)',
      ]),
    );
  });
});
