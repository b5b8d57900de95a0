/**
 * What is applied for TLS once per cluster (infra/k8s/cluster/cert-manager/): the ClusterIssuer
 * that the prod Gateway's annotation names, and the NetworkPolicy that lets Let's Encrypt's
 * HTTP-01 challenge through the prod overlay's default-deny. Checked offline: against a schema
 * of cert-manager's CRD (fixtures/cert-manager-v1.json, stored like the Gateway API's), against
 * the rendered prod overlay, and through the NetworkPolicy evaluator. Each check also runs on a
 * deliberately broken input (fixtures/broken/cert-manager/) to show that it can fail.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import { gateways, type Gateway } from './support/gateway.js';
import { schemaProblems } from './support/kube-schema.js';
import { idOf, kustomize, parseYamlStream, type K8sObject } from './support/kustomize.js';
import { allowedConnections } from './support/network.js';
import { fixturesDir, infraDir } from './support/repo.js';

const ISSUER_ANNOTATION = 'cert-manager.io/cluster-issuer';

interface ParentRef {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
  sectionName?: string;
}
type ClusterIssuer = K8sObject & {
  spec: { acme: { solvers?: { http01?: { gatewayHTTPRoute?: { parentRefs?: ParentRef[] } } }[] } };
};

const readObjects = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .flatMap((f) => parseYamlStream(readFileSync(join(dir, f), 'utf8')));
const shipped = () => readObjects(join(infraDir, 'k8s', 'cluster', 'cert-manager'));
const broken = (name: string) => parseYamlStream(readFileSync(join(fixturesDir, 'broken', 'cert-manager', name), 'utf8'));
const issuers = (objects: K8sObject[]) => objects.filter((o): o is ClusterIssuer => o.kind === 'ClusterIssuer');

const validateIssuer = new Ajv({ strict: false, allErrors: true }).compile(
  JSON.parse(readFileSync(join(fixturesDir, 'cert-manager-v1.json'), 'utf8')) as object,
);
const sentence = (e: ErrorObject) =>
  e.keyword === 'additionalProperties'
    ? `${e.instancePath || '/'} has unknown field ${(e.params as { additionalProperty: string }).additionalProperty}`
    : `${e.instancePath || '/'} ${e.message}`;

/** Every ClusterIssuer against the stored schema of cert-manager's CRD. */
function issuerSchemaProblems(objects: K8sObject[]): string[] {
  return issuers(objects).flatMap((o) =>
    validateIssuer(o) ? [] : [`${idOf(o)}: ${[...new Set((validateIssuer.errors ?? []).map(sentence))].join('; ')}`],
  );
}

/**
 * The issuer against the Gateway it serves: each Gateway's annotation names an issuer that
 * exists; each HTTP-01 route's parent is an existing Gateway and a listener of it on which
 * Let's Encrypt asks (plain HTTP, port 80); and every HTTPS listener has the host name
 * cert-manager issues the certificate for.
 */
function issuerReferences(objects: K8sObject[], overlay: K8sObject[]): string[] {
  const problems: string[] = [];
  const names = issuers(objects).map((i) => i.metadata.name);
  for (const gw of gateways(overlay)) {
    const wanted = gw.metadata.annotations?.[ISSUER_ANNOTATION];
    if (!wanted) continue;
    if (!names.includes(wanted)) problems.push(`${idOf(gw)} asks for ClusterIssuer ${wanted}, which is not shipped (there is: ${names.join(', ') || 'none'})`);
    for (const l of gw.spec.listeners)
      if (l.protocol === 'HTTPS' && !l.hostname) problems.push(`${idOf(gw)} listener ${l.name}: no hostname, so cert-manager issues it no certificate`);
  }
  for (const issuer of issuers(objects))
    for (const solver of issuer.spec.acme.solvers ?? [])
      for (const ref of solver.http01?.gatewayHTTPRoute?.parentRefs ?? []) {
        const where = `${idOf(issuer)} parent ${ref.name}${ref.sectionName ? `/${ref.sectionName}` : ''}`;
        if ((ref.kind ?? 'Gateway') !== 'Gateway' || (ref.group ?? 'gateway.networking.k8s.io') !== 'gateway.networking.k8s.io') {
          problems.push(`${where}: not a Gateway`);
          continue;
        }
        const gw = gateways(overlay).find((g) => g.metadata.name === ref.name) as Gateway | undefined;
        if (!gw) {
          problems.push(`${where}: Gateway ${ref.name} does not exist`);
          continue;
        }
        const listeners = gw.spec.listeners.filter((l) => !ref.sectionName || l.name === ref.sectionName);
        if (listeners.length === 0) problems.push(`${where}: Gateway ${ref.name} has no listener ${ref.sectionName}`);
        for (const l of listeners)
          if (l.protocol !== 'HTTP' || l.port !== 80)
            problems.push(`${where}: listener ${l.name} is ${l.protocol} on port ${l.port}; Let's Encrypt asks over HTTP on port 80`);
      }
  return problems;
}

/** A pod as cert-manager makes one for an HTTP-01 challenge: its identifying label, port 8089. */
const solverPod: K8sObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'cm-acme-http-solver' },
  spec: {
    selector: { matchLabels: { 'acme.cert-manager.io/http01-solver': 'true' } },
    template: {
      metadata: { labels: { 'acme.cert-manager.io/http01-solver': 'true', 'acme.cert-manager.io/http-domain': '1' } },
      spec: { containers: [{ name: 'acmesolver', ports: [{ name: 'http', containerPort: 8089 }] }] },
    },
  },
};

/** The connections the objects' policies add to the prod overlay's, a solver pod running. */
function addedConnections(objects: K8sObject[], overlay: K8sObject[]): string[] {
  const before = allowedConnections([...overlay, solverPod]);
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
  return [...allowedConnections([...overlay, solverPod, ...policies])].filter((c) => !before.has(c)).sort();
}

let prod: K8sObject[];
beforeAll(() => {
  prod = kustomize(join(infraDir, 'k8s', 'overlays', 'prod'));
}, 60_000);

describe('the ClusterIssuer against cert-manager\'s CRD (stored schema)', () => {
  it('when the shipped objects are read, then they are the letsencrypt ClusterIssuer and the solver NetworkPolicy, and the issuer passes', () => {
    expect(shipped().map(idOf)).toEqual(['ClusterIssuer/letsencrypt', 'NetworkPolicy/acme-http01-solver']);
    expect(issuerSchemaProblems(shipped())).toEqual([]);
  });

  it("when the issuer is Let's Encrypt production with a marked placeholder e-mail, then the file says to replace it", () => {
    const [issuer] = issuers(shipped());
    const acme = issuer!.spec.acme as unknown as { server: string; email: string };
    expect(acme.server).toBe('https://acme-v02.api.letsencrypt.org/directory');
    expect(acme.email).toBe('you@example.com');
    const text = readFileSync(join(infraDir, 'k8s', 'cluster', 'cert-manager', 'cluster-issuer.yaml'), 'utf8');
    expect(text).toMatch(/# REPLACE: your e-mail address[^\n]*\n(\s*#[^\n]*\n)*\s*email: you@example\.com/);
  });

  it('when the issuer has a misspelled solver and no account key Secret, then the schema names each', () => {
    const problems = issuerSchemaProblems(broken('schema.yaml'));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^ClusterIssuer\/letsencrypt: /);
    expect(problems[0]).toMatch(/\/spec\/acme must have required property '?privateKeySecretRef'?/);
    expect(problems[0]).toMatch(/\/spec\/acme\/solvers\/0\/http01 has unknown field gatewayHttpRoute/);
  });

  it('when those two are fixed, then the parent reference without a name, which the misspelling hid, is named', () => {
    const [issuer] = issuers(broken('schema.yaml'));
    const fixed = structuredClone(issuer!) as unknown as { spec: { acme: Record<string, unknown> } };
    const solver = (fixed.spec.acme['solvers'] as { http01: Record<string, unknown> }[])[0]!;
    solver.http01 = { gatewayHTTPRoute: solver.http01['gatewayHttpRoute'] };
    fixed.spec.acme['privateKeySecretRef'] = { name: 'letsencrypt-account-key' };
    expect(issuerSchemaProblems([fixed as unknown as K8sObject])).toEqual([
      expect.stringMatching(/\/spec\/acme\/solvers\/0\/http01\/gatewayHTTPRoute\/parentRefs\/0 must have required property '?name'?$/),
    ]);
  });

  it('when the solver NetworkPolicy is validated against the Kubernetes API schema, then it passes', async () => {
    expect(await schemaProblems(shipped().filter((o) => o.kind === 'NetworkPolicy'))).toEqual([]);
  });
});

describe('the ClusterIssuer against the prod overlay', () => {
  it("when the prod Gateway's annotation and listeners are read, then the issuer exists and solves on its plain-HTTP listener", () => {
    expect(gateways(prod).map((g) => g.metadata.annotations?.[ISSUER_ANNOTATION])).toEqual(['letsencrypt']);
    expect(issuerReferences(shipped(), prod)).toEqual([]);
  });

  it('when the issuer has another name and its challenge routes hang on the HTTPS listener and on no Gateway, then each is named', () => {
    expect(issuerReferences(broken('references.yaml'), prod)).toEqual([
      'Gateway/ticketing asks for ClusterIssuer letsencrypt, which is not shipped (there is: letsencrypt-prod)',
      "ClusterIssuer/letsencrypt-prod parent ticketing/https: listener https is HTTPS on port 443; Let's Encrypt asks over HTTP on port 80",
      'ClusterIssuer/letsencrypt-prod parent front-door: Gateway front-door does not exist',
    ]);
  });
});

describe("the HTTP-01 challenge through the prod overlay's NetworkPolicies", () => {
  it('when the prod policies alone are evaluated, then the Gateway proxy cannot reach a solver pod (what the shipped policy is for)', () => {
    expect([...allowedConnections([...prod, solverPod])].filter((c) => c.includes('cm-acme-http-solver')).sort()).toEqual([
      'Deployment/cm-acme-http-solver -> kube-dns:53/TCP',
      'Deployment/cm-acme-http-solver -> kube-dns:53/UDP',
    ]);
  });

  it("when the shipped policy is added, then the Gateway's proxy reaches the solver on its port, and nothing else is opened", () => {
    expect(addedConnections(shipped(), prod)).toEqual(['gateway-proxy -> Deployment/cm-acme-http-solver:8089/TCP']);
  });

  it('when the policy opens the wrong port, then nothing reaches the solver', () => {
    expect(addedConnections(broken('references.yaml'), prod)).toEqual([]);
  });
});
