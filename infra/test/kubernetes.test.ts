/**
 * The Kubernetes manifests, rendered from infra/k8s with `kubectl kustomize`, checked offline:
 * schema, types, cross-references, the Gateway's routes, hardening, availability, what the
 * dev overlay asks a laptop for, network policies, the private key's and the metrics port's
 * reach, and each service's configuration. Every check is also run on a deliberately broken kustomization
 * (infra/test/fixtures/broken/k8s/) to prove it can fail.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesOf, requestBudget, totalRequests } from './support/capacity.js';
import { clusterObjects, gatewayRoutes, routeReferences } from './support/gateway.js';
import {
  autoscaledReplicas,
  availability,
  configReferences,
  crossReferences,
  hardening,
  images,
  networkPolicyReferences,
  probeReferences,
  rollouts,
  scalingReferences,
  secretNamesReferenced,
  serviceReferences,
  urlReferences,
  workloadReferences,
  workspaceOfImage,
} from './support/k8s-checks.js';
import { deployments, envValues, find, podTemplates } from './support/k8s.js';
import { schemaProblems, typeProblems } from './support/kube-schema.js';
import { idOf, RenderError, Workspace, type K8sObject, type Rendered } from './support/kustomize.js';
import { allowedConnections, neededConnections } from './support/network.js';
import { apiRoutes, imagedWorkspaces, repoRoot, services } from './support/repo.js';
import { configProblems } from './support/service-config.js';
import { metricsExposure, privateKeyReaders } from './support/secrets-and-metrics.js';
import { loadSkaffold } from './support/skaffold.js';

let ws: Workspace;
let rendered: Rendered;
let dev: K8sObject[];
let prod: K8sObject[];
let types: string[];

beforeAll(async () => {
  ws = new Workspace();
  rendered = await ws.renderAll();
  ({ dev, prod } = rendered);
  // One tsc run for the real overlays and the broken fixtures; problems are labelled by set.
  types = typeProblems({
    dev,
    prod,
    misspelled: rendered.broken('types-misspelled'),
    'removed-api': rendered.broken('types-removed-api'),
  });
}, 120_000);
afterAll(() => ws?.remove());

const broken = (name: string) => rendered.broken(name);
/** The GatewayClass applied once per cluster (infra/k8s/cluster/), which the Gateways name. */
const gatewayClasses = clusterObjects().map((o) => o.metadata.name);
const unhashed = (name: string) => name.replace(/-[a-z0-9]{10}$/, '');

describe('rendering with kubectl kustomize', () => {
  it('when each overlay is rendered, then it holds a Deployment and Service per image, NATS, one PostgreSQL per service, the Gateway and its route', () => {
    for (const objects of [dev, prod]) {
      const ids = objects.map(idOf);
      for (const w of imagedWorkspaces()) expect(ids).toEqual(expect.arrayContaining([`Deployment/${w}`, `Service/${w}`, `ServiceAccount/${w}`]));
      for (const s of services()) expect(ids).toEqual(expect.arrayContaining([`StatefulSet/${s}-postgres`, `Service/${s}-postgres`]));
      expect(ids).toEqual(expect.arrayContaining(['StatefulSet/nats', 'Service/nats', 'Gateway/ticketing', 'HTTPRoute/ticketing']));
      expect(ids.filter((id) => id.startsWith('Ingress/'))).toEqual([]);
    }
  });

  it('when a kustomization names a manifest that does not exist, then rendering fails naming it', () => {
    expect(() => broken('missing-resource')).toThrow(RenderError);
    expect(() => broken('missing-resource')).toThrow(/tickets-worker\.yaml/);
  });
});

describe('the Kubernetes API schema (kubernetes-models)', () => {
  it('when the overlays are validated, then every object passes', async () => {
    expect(await schemaProblems(dev)).toEqual([]);
    expect(await schemaProblems(prod)).toEqual([]);
  });

  it('when a Deployment lacks its selector and has mistyped fields, then validation names each', async () => {
    const problems = await schemaProblems(broken('schema'));
    expect(problems).toEqual([expect.stringMatching(/^Deployment\/reporting: .*must have required property '?selector'?/)]);
    expect(problems[0]).toMatch(/replicas must be integer/);
    expect(problems[0]).toMatch(/containerPort must be integer/);
  });

  it('when optional fields are misspelled, then the JSON schema lets them through (the gap the tsc check closes)', async () => {
    expect(await schemaProblems(broken('types-misspelled'))).toEqual([]);
  });

  it('when the GatewayClass applied once per cluster is validated against the stored Gateway API schema, then it passes', async () => {
    expect(clusterObjects().map(idOf)).toEqual(['GatewayClass/eg']);
    expect(await schemaProblems(clusterObjects())).toEqual([]);
  });

  it('when Gateway API objects carry Ingress habits, then the stored schema names each mistake', async () => {
    const problems = await schemaProblems(broken('gateway-schema'));
    expect(problems).toEqual([
      expect.stringMatching(/^Gateway\/ticketing: \/spec\/listeners\/0 must have required property '?tls'?/),
      expect.stringMatching(/^HTTPRoute\/ticketing: /),
    ]);
    expect(problems[1]).toMatch(/\/spec\/rules\/0\/matches\/0\/path\/type must be equal to one of the allowed values/);
    expect(problems[1]).toMatch(/\/spec\/rules\/0\/backendRefs\/0 must have required property '?port'?/);
    expect(problems[1]).toMatch(/\/spec\/rules\/0 has unknown field timeout/);
  });
});

describe('kubernetes-types, checked by tsc', () => {
  it('when every object of both overlays is typed as its kind, then it compiles', () => {
    expect(types.filter((p) => /^(dev|prod) /.test(p))).toEqual([]);
  });

  it('when fields are misspelled or an apiVersion was removed from Kubernetes, then tsc fails naming them', () => {
    expect(types.filter((p) => !/^(dev|prod) /.test(p)).sort()).toEqual([
      expect.stringMatching(/^misspelled Deployment\/orders: error TS2353: .*'"?readinesProbe"?'/),
      expect.stringMatching(/^misspelled Deployment\/tickets: error TS2353: .*'"?terminationGracePeriodSecond"?'/),
      expect.stringMatching(/^removed-api PodDisruptionBudget\/tickets: error TS2307: Cannot find module 'kubernetes-types\/policy\/v1beta1/),
    ]);
  });
});

describe('cross-references', () => {
  it('when the dev overlay (its secrets generated) is checked, then every reference resolves', () => {
    expect(crossReferences(dev, { gatewayClasses })).toEqual([]);
  });

  it('when the Gateway names a class nobody created, or a route a listener the Gateway lacks, then the check names both', () => {
    expect(routeReferences(broken('gateway-reference'), { gatewayClasses })).toEqual([
      'Gateway/ticketing: GatewayClass nginx does not exist',
      'HTTPRoute/ticketing: Gateway ticketing has no listener https',
    ]);
  });

  it('when the prod overlay is checked, then every reference resolves but the secrets created outside it', () => {
    const external = secretNamesReferenced(prod);
    expect(crossReferences(prod, { externalSecrets: external, gatewayClasses })).toEqual([]);
    // Those are the dev overlay's generated secrets, plus the TLS certificates and Stripe's key.
    const generated = secretNamesReferenced(dev).map(unhashed);
    expect(external.filter((s) => !generated.includes(s))).toEqual(['nats-tls', 'stripe', 'ticketing-tls']);
  });

  it('when the prod overlay needs secrets created by hand, then docs/deploy.md names each one', () => {
    const docs = readFileSync(join(repoRoot, 'docs', 'deploy.md'), 'utf8');
    const undocumented = (text: string) => secretNamesReferenced(prod).filter((s) => !text.includes(`\`${s}\``));
    expect(undocumented(docs)).toEqual([]);
    expect(undocumented('Create `jwt-private` and `auth-db`.')).toContain('tickets-db');
  });

  it('when a workload names a ServiceAccount or governing Service that does not exist, then the check names each', () => {
    expect(workloadReferences(broken('workload'))).toEqual([
      'Deployment/tickets: ServiceAccount ticket-runner does not exist',
      'StatefulSet/nats: its governing Service nats-headless does not exist',
    ]);
  });

  it('when a Service selects pods that do not exist, then the check names it', () => {
    expect(serviceReferences(broken('service-selector'))).toEqual([expect.stringMatching(/^Service\/tickets: selector .* matches no pod template/)]);
  });

  it('when a Service targets a port its pods do not expose, then the check names it', () => {
    expect(serviceReferences(broken('service-port'))).toEqual([expect.stringMatching(/^Service\/orders: port http targets web/)]);
  });

  it('when an HTTPRoute backend names a missing Service or port, then the check names both', () => {
    expect(routeReferences(broken('route-backend'), { gatewayClasses })).toEqual([
      'HTTPRoute/ticketing: /api/payments goes to Service paymnts, which does not exist',
      'HTTPRoute/ticketing: / goes to port 80 of Service client, which has no such port',
    ]);
  });

  it('when an autoscaler or a disruption budget targets nothing, then the check names it', () => {
    expect(scalingReferences(broken('autoscaler-target'))).toEqual([expect.stringMatching(/^HorizontalPodAutoscaler\/auth: scales .*authentication/)]);
    expect(scalingReferences(broken('disruption-budget'))).toEqual([expect.stringMatching(/^PodDisruptionBudget\/orders: its selector matches no pod/)]);
  });

  it('when a pod reads a Secret or ConfigMap that does not exist, then the check names each', () => {
    expect(configReferences(broken('missing-config'))).toEqual([
      expect.stringMatching(/^Deployment\/orders container server: ConfigMap orders-settings does not exist/),
      expect.stringMatching(/^Deployment\/tickets container server env JWT_PUBLIC_KEY: Secret session-key does not exist/),
      'Deployment/tickets container server: mounts volume cache, which is not declared',
    ]);
  });

  it('when a probe asks a path the server does not serve, on a port it does not have, then the check names both', () => {
    expect(probeReferences(broken('probe-endpoint'))).toEqual([
      expect.stringMatching(/^Deployment\/payments container server readiness probe: port admin is not a port/),
      expect.stringMatching(/^Deployment\/payments container server readiness probe: \/ready is not an endpoint it serves/),
    ]);
  });

  it('when a network policy selects no pods, then the check names it', () => {
    expect(networkPolicyReferences(broken('network-policy-reference'))).toEqual([
      'NetworkPolicy/reporting: podSelector matches no pod template',
    ]);
  });

  it('when a service URL names a port its Service lacks, or a database it is not created with, then the check names both', () => {
    expect(urlReferences(broken('url'))).toEqual([
      expect.stringMatching(/^Deployment\/client container server AUTH_URL: Service auth has no port 4000/),
      expect.stringMatching(/^Deployment\/tickets container server DATABASE_URL: its user, database or password differ/),
    ]);
    // The database's own probe asks for the database by its old name too.
    expect(probeReferences(broken('url'))).toEqual([
      expect.stringMatching(/^StatefulSet\/tickets-postgres container postgres liveness probe: checks user tickets \/ database tickets, the server creates tickets \/ ticketing/),
      expect.stringMatching(/readiness probe: checks user tickets/),
      expect.stringMatching(/startup probe: checks user tickets/),
    ]);
  });

  it("when the HTTPRoutes are checked, then each API prefix of each service's route table goes to that service, and the rest to the client", () => {
    expect([...apiRoutes().keys()]).toEqual(expect.arrayContaining(['/api/users', '/api/tickets', '/api/orders', '/api/payments']));
    expect(gatewayRoutes(dev)).toEqual([]);
    expect(gatewayRoutes(prod)).toEqual([]);
    expect(gatewayRoutes(broken('routes'))).toEqual([
      'HTTPRoute/ticketing (ticketing.local): /api/users should go to auth, goes to nothing',
      'HTTPRoute/ticketing (ticketing.local): /api/orders should go to orders, goes to tickets',
    ]);
  });
});

describe('images', () => {
  const artifacts = () => (loadSkaffold().build?.artifacts ?? []).map((a) => a.image);

  it('when the manifests are checked, then every image is a skaffold artifact or pinned to a release, and every artifact runs', () => {
    expect(images(dev, artifacts())).toEqual([]);
    expect(images(prod, artifacts())).toEqual([]);
    for (const objects of [dev, prod]) {
      const used = podTemplates(objects).flatMap((p) => p.spec.containers.map((c) => c.image));
      expect(used).toEqual(expect.arrayContaining(artifacts()));
    }
  });

  it('when an image is not built by skaffold or floats on a tag, then the check names it', () => {
    expect(images(broken('images'), artifacts())).toEqual([
      'Deployment/tickets container server: image ticketing/tikets is not an artifact in skaffold.yaml',
      'StatefulSet/nats container nats: image nats:latest is not pinned to a release',
    ]);
  });
});

describe('hardening', () => {
  it('when the prod overlay is checked, then every container is non-root, read-only, unprivileged, limited and probed', () => {
    expect(hardening(prod)).toEqual([]);
  });

  it('when the dev overlay is checked, then only the synced service containers have a writable root filesystem', () => {
    const synced = (pod: { owner: string }, c: { name: string; image?: string }) => c.name === 'server' && workspaceOfImage(c.image ?? '') !== undefined;
    expect(hardening(dev, { writableRoot: synced })).toEqual([]);
    expect(hardening(dev).every((p) => /container server: readOnlyRootFilesystem is not true/.test(p))).toBe(true);
    expect(hardening(dev)).toHaveLength(imagedWorkspaces().length);
  });

  it('when a container is weakened, then the check names each weakness', () => {
    expect(hardening(broken('hardening'))).toEqual([
      'Deployment/orders container server: allowPrivilegeEscalation is not false',
      'Deployment/orders container server: readOnlyRootFilesystem is not true',
      'Deployment/orders container server: adds capabilities',
      'Deployment/orders container server: no cpu limit',
      'Deployment/orders container server: no memory limit',
      expect.stringMatching(/^Deployment\/orders container server: terminationGracePeriodSeconds 20 is not longer than the 5 s preStop pause plus the 20 s/),
    ]);
  });
});

describe('availability', () => {
  it('when the prod overlay is checked, then every Deployment keeps at least 2 pods, autoscales and has a disruption budget', () => {
    expect(availability(prod)).toEqual([]);
  });

  it('when the dev overlay is checked, then every Deployment runs one pod', () => {
    expect(deployments(dev).map((d) => d.spec?.replicas ?? 1)).toEqual(deployments(dev).map(() => 1));
  });

  it('when an autoscaler may drop to one pod and a Deployment has no budget, then the check names both', () => {
    expect(availability(broken('availability'))).toEqual([
      'Deployment/client: no PodDisruptionBudget',
      "Deployment/orders: its autoscaler's range 1-6 does not keep 2 pods",
    ]);
  });

  it('when both overlays are rendered, then every Deployment rolls out a new pod before it takes an old one away (maxUnavailable 0, surge 1)', () => {
    expect(rollouts(dev)).toEqual([]);
    expect(rollouts(prod)).toEqual([]);
  });

  it('when a Deployment rolls with the default strategy or may lose a ready pod, then the check names each', () => {
    expect(rollouts(broken('rollout'))).toEqual([
      'Deployment/client: strategy Recreate, not RollingUpdate with maxUnavailable 0',
      'Deployment/orders: maxUnavailable 25%, not 0: a rollout may take a ready pod away first',
    ]);
  });

  it('when both overlays are rendered, then no workload an autoscaler scales sets replicas (a deploy would reset its count)', () => {
    expect(autoscaledReplicas(prod)).toEqual([]);
    expect(autoscaledReplicas(dev)).toEqual([]);
    expect(autoscaledReplicas(broken('autoscaled-replicas'))).toEqual([
      'Deployment/client: sets replicas 2 although HorizontalPodAutoscaler/client scales it; every deploy would reset the count',
      'Deployment/orders: sets replicas 2 although HorizontalPodAutoscaler/orders scales it; every deploy would reset the count',
    ]);
  });
});

describe('what the dev overlay asks a laptop for', () => {
  /**
   * The budget: a default 2-CPU kind, minikube or Docker Desktop node already gives about
   * 0.85 CPU of requests to its own pods (API server 250m, controller manager 200m,
   * scheduler 100m, etcd 100m, CoreDNS 100m, the network plugin 100m) and Envoy Gateway about
   * 0.2 (its controller and one Envoy proxy, 100m each), which leaves 0.95 CPU. Half a CPU
   * keeps room for a rollout's extra pod and an add-on or two (metrics-server asks 100m).
   * Memory: on a 4 GiB node, about 0.3 GiB for the system pods and 0.75 GiB for Envoy
   * Gateway's two pods leave some 2.9 GiB; 1.25 GiB of requests keeps the rest for what the
   * processes use above their requests (`next dev` alone peaks near 1 GiB).
   */
  const budget = { cpu: 0.5, memory: 1.25 * 2 ** 30 };

  it('when the requests of every container (init containers too) are summed over replicas, then they fit the budget', () => {
    expect(requestBudget(dev, budget)).toEqual([]);
    const total = totalRequests(dev);
    expect(total.cpu).toBeGreaterThan(0.3); // every pod asks for something
    expect(total.memory).toBeGreaterThan(0.75 * 2 ** 30);
  });

  it('when a pod asks for more, then the sum goes over the budget and the check says by how much', () => {
    expect(requestBudget(broken('requests-budget'), budget)).toEqual([
      'requests 0.88 CPU, over the budget of 0.5 CPU',
      'requests 1.83 GiB of memory, over the budget of 1.25 GiB',
    ]);
  });

  it('when init containers and replicas are in play, then they count as the scheduler counts them', () => {
    const pod = (replicas: number, init: string[], app: string[]) =>
      ({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: `d${replicas}` },
        spec: {
          replicas,
          template: {
            metadata: { labels: {} },
            spec: {
              initContainers: init.map((cpu, i) => ({ name: `i${i}`, resources: { requests: { cpu, memory: '64Mi' } } })),
              containers: app.map((cpu, i) => ({ name: `c${i}`, resources: { requests: { cpu, memory: '32Mi' } } })),
            },
          },
        },
      }) as K8sObject;
    // max(init 300m, app 100m + 100m) x 3 replicas; memory max(64Mi, 64Mi) x 3.
    expect(totalRequests([pod(3, ['300m'], ['100m', '100m'])])).toEqual({ cpu: 0.9, memory: 3 * 64 * 2 ** 20 });
  });
});

describe('network policies (prod)', () => {
  const architecture = () => ({
    apiServices: [...new Set(apiRoutes().values())],
    services: services(),
    internet: ['payments'], // Stripe
  });

  it('when the policies are evaluated, then exactly the connections the architecture needs are allowed', () => {
    const allowed = [...allowedConnections(prod)].sort();
    expect(allowed).toEqual([...neededConnections(prod, architecture())].sort());
    // Spot checks of what stays closed.
    expect(allowed).not.toContain('client -> tickets-postgres:5432/TCP');
    expect(allowed).not.toContain('tickets -> orders-postgres:5432/TCP');
    expect(allowed).not.toContain('payments -> cloud-metadata:80/TCP');
    expect(allowed).not.toContain('gateway-proxy -> expiration:3000/TCP');
    expect(allowed).not.toContain('other-gateway-proxy -> client:3000/TCP');
    expect(allowed).toContain('prometheus -> payments:9464/TCP');
    // Stripe's webhook comes from the internet through the Gateway, as the buyer's requests do.
    expect(allowed).toContain('gateway-proxy -> payments:3000/TCP');
    expect(allowed).not.toContain('prometheus -> auth:3000/TCP');
    expect(allowed).not.toContain('grafana -> auth:9464/TCP');
  });

  it("when Prometheus' policy loses its port list, then Prometheus reaches the API ports too, and the check shows it", () => {
    const allowed = allowedConnections(broken('metrics-open'));
    const needed = neededConnections(prod, architecture());
    expect([...allowed].filter((c) => !needed.has(c)).sort()).toEqual(
      ['auth', 'expiration', 'orders', 'payments', 'tickets'].map((s) => `prometheus -> ${s}:3000/TCP`),
    );
  });

  it('when the dev overlay is deployed, then it has no policies (everything may talk, as on a laptop)', () => {
    expect(dev.filter((o) => o.kind === 'NetworkPolicy')).toEqual([]);
  });

  it('when a policy opens the client\'s egress, then the extra connections show up', () => {
    const allowed = allowedConnections(broken('network-policy-open'));
    const needed = neededConnections(prod, architecture());
    expect([...allowed].filter((c) => !needed.has(c)).sort()).toEqual([
      'client -> cloud-metadata:80/TCP',
      'client -> internet:443/TCP',
      'client -> internet:80/TCP',
    ]);
  });
});

describe("each service's configuration", () => {
  const container = (objects: K8sObject[], name: string) => {
    const d = find(objects, 'Deployment', name) as { spec: { template: { spec: { containers: { name: string }[] } } } } | undefined;
    const c = d?.spec.template.spec.containers.find((x) => x.name === 'server');
    if (!c) throw new Error(`no server container in Deployment/${name}`);
    return c;
  };

  it('when each service validates the environment the dev overlay gives it, then it would start', async () => {
    for (const s of services()) expect(await configProblems(s, envValues(dev, container(dev, s)))).toEqual([]);
  });

  it("when each service's stream limit is set against NATS' volume, then the stream fills at most half of it (JetStream's own files need the rest)", () => {
    for (const objects of [dev, prod]) {
      const nats = find(objects, 'StatefulSet', 'nats') as unknown as { spec: { volumeClaimTemplates: { spec: { resources: { requests: { storage: string } } } }[] } };
      const volume = bytesOf(nats.spec.volumeClaimTemplates[0]!.spec.resources.requests.storage);
      for (const s of services()) {
        const limit = Number(envValues(objects, container(objects, s))['NATS_STREAM_MAX_BYTES']);
        expect(limit, s).toBeGreaterThan(0);
        expect(limit, s).toBeLessThanOrEqual(volume / 2);
      }
    }
  });

  it("when the prod overlay runs, then the stripe Secret's keys are required, never optional (no silent sandbox, no missing webhook, no sandbox form)", () => {
    const refOf = (objects: K8sObject[], workload: string, variable: string) =>
      (container(objects, workload) as { env?: { name: string; valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } } }[] }).env?.find(
        (e) => e.name === variable,
      )?.valueFrom?.secretKeyRef;
    for (const [workload, variable] of [
      ['payments', 'STRIPE_SECRET_KEY'],
      ['payments', 'STRIPE_WEBHOOK_SECRET'],
      ['client', 'STRIPE_PUBLISHABLE_KEY'],
    ] as const) {
      expect(refOf(prod, workload, variable), variable).toEqual({ name: 'stripe', key: variable, optional: false });
      // The dev overlay has no stripe Secret: it runs the sandbox.
      expect(refOf(dev, workload, variable), variable).toEqual({ name: 'stripe', key: variable, optional: true });
    }
  });

  /** A service's prod environment: its secrets' values as in dev, and the stripe Secret as `stripe` says. */
  const prodEnvOf = (s: string, stripe: Record<string, string>) => {
    const devEnv = envValues(dev, container(dev, s));
    const prodEnv = envValues(prod, container(prod, s));
    const secretOnly = Object.fromEntries(Object.entries(devEnv).filter(([k]) => !(k in prodEnv) && /KEY|URL/.test(k)));
    return { ...secretOnly, ...(s === 'payments' ? stripe : {}), ...prodEnv };
  };
  // The stripe Secret the operator creates (dev has none: it runs the sandbox).
  const stripeSecret = { STRIPE_SECRET_KEY: 'sk_live_example', STRIPE_WEBHOOK_SECRET: 'whsec_example' };

  it('when each service validates the prod environment (secrets as in dev), then it would start', async () => {
    for (const s of services()) {
      const env = prodEnvOf(s, stripeSecret);
      expect(await configProblems(s, env)).toEqual([]);
      expect(env['NODE_ENV']).toBe('production');
    }
  });

  it('when the stripe Secret holds the API key but no webhook signing secret, then payments would refuse to start in prod, naming it', async () => {
    const keyOnly = { STRIPE_SECRET_KEY: stripeSecret.STRIPE_SECRET_KEY };
    expect(await configProblems('payments', prodEnvOf('payments', keyOnly))).toEqual([
      expect.stringMatching(/^payments: STRIPE_WEBHOOK_SECRET: is required in production with the stripe provider/),
    ]);
  });

  it("when next dev runs as the dev overlay's client, then its memory limit holds next dev's measured peak (945 MiB) with room to spare", () => {
    const limitOf = (objects: K8sObject[]) =>
      bytesOf((container(objects, 'client') as { resources?: { limits?: { memory?: string } } }).resources?.limits?.memory);
    expect(limitOf(dev)).toBeGreaterThanOrEqual(1.25 * 945 * 2 ** 20);
  });

  it('when the client gets its environment, then it has every service URL and binds all interfaces', () => {
    const env = envValues(dev, container(dev, 'client'));
    for (const k of ['AUTH_URL', 'TICKETS_URL', 'ORDERS_URL', 'PAYMENTS_URL']) expect(env[k]).toMatch(/^http:\/\//);
    expect(env['HOSTNAME']).toBe('0.0.0.0');
  });

  it('when a shared setting holds a value no service accepts, then every service refuses it by name', async () => {
    for (const s of services())
      expect(await configProblems(s, envValues(broken('config'), container(broken('config'), s)))).toEqual([
        expect.stringMatching(new RegExp(`^${s}: EVENT_ACK_WAIT_SECONDS: `)),
      ]);
  });
});

describe('the session-signing private key', () => {
  it('when both overlays are checked, then only auth\'s pods read a Secret that holds it', () => {
    expect(privateKeyReaders(dev)).toEqual([]);
    expect(privateKeyReaders(prod)).toEqual([]);
    // In dev the Secrets are rendered: the one every service reads holds the public key only.
    const publicSecret = dev.find((o) => o.kind === 'Secret' && unhashed(o.metadata.name) === 'jwt-public') as { data?: Record<string, string> };
    expect(Object.keys(publicSecret.data ?? {})).toEqual(['JWT_PUBLIC_KEY']);
  });

  it('when another service reads it by name or takes its whole Secret, then the check names each', () => {
    expect(privateKeyReaders(broken('private-key'))).toEqual([
      expect.stringMatching(/^Deployment\/orders: reads Secret jwt-private-[a-z0-9]{10}, which holds the session-signing private key$/),
      expect.stringMatching(/^Deployment\/tickets: reads Secret jwt-private-[a-z0-9]{10}, which holds the session-signing private key$/),
      'Deployment/tickets container server: sets JWT_PRIVATE_KEY',
    ]);
  });
});

describe('the metrics port', () => {
  it('when both overlays are checked, then each service declares it, is scraped on it, and no Service exposes it', () => {
    expect(metricsExposure(dev)).toEqual([]);
    expect(metricsExposure(prod)).toEqual([]);
    const scraped = podTemplates(prod).filter((p) => p.workload.spec?.template.metadata?.annotations?.['prometheus.io/scrape'] === 'true');
    expect(scraped.map((p) => p.owner).sort()).toEqual(services().map((s) => `Deployment/${s}`).sort());
  });

  it('when a Service exposes it or Prometheus is pointed at the API port, then the check names both', () => {
    expect(metricsExposure(broken('metrics-exposed'))).toEqual([
      "Service/orders: port metrics exposes Deployment/orders's metrics port",
      'Deployment/tickets: Prometheus scrapes port 3000, not its metrics port 9464',
    ]);
  });
});

describe('development secrets (make-dev-secrets.sh)', () => {
  it('when run again, then it keeps every file it wrote (databases remember their passwords)', () => {
    const before = readdirSync(ws.devSecrets).map((f) => readFileSync(join(ws.devSecrets, f), 'utf8'));
    const out = execFileSync('bash', [join(ws.k8s, 'overlays', 'dev', 'make-dev-secrets.sh')], { encoding: 'utf8' });
    expect(out.trim().split('\n').every((l) => l.startsWith('kept'))).toBe(true);
    expect(readdirSync(ws.devSecrets).map((f) => readFileSync(join(ws.devSecrets, f), 'utf8'))).toEqual(before);
  });

  it('when git looks at the secrets folder, then it ignores it', () => {
    const ignored = execFileSync('git', ['check-ignore', 'infra/k8s/overlays/dev/secrets/jwt-private.env'], { cwd: repoRoot, encoding: 'utf8' });
    expect(ignored.trim()).toBe('infra/k8s/overlays/dev/secrets/jwt-private.env');
  });
});
