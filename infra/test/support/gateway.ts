/**
 * The Gateway API objects (gateway.networking.k8s.io/v1): their schema, which kubernetes-models
 * does not include (fixtures/gateway-api-v1.json, stored like Skaffold's), and what they point
 * at: Gateways, listeners, Services and ports, certificate Secrets, the GatewayClass.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { Service } from 'kubernetes-types/core/v1.js';
import { find, isKind } from './k8s.js';
import { idOf, parseYamlStream, type K8sObject } from './kustomize.js';
import { apiRoutes, fixturesDir, infraDir } from './repo.js';

export const GATEWAY_API = 'gateway.networking.k8s.io/v1';
export const isGatewayApi = (o: K8sObject) => o.apiVersion.startsWith('gateway.networking.k8s.io/');

interface Ref {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
  sectionName?: string;
  port?: number;
}
export interface Listener {
  name: string;
  protocol: string;
  port: number;
  hostname?: string;
  tls?: { mode?: string; certificateRefs?: Ref[] };
}
export type Gateway = K8sObject & { spec: { gatewayClassName: string; listeners: Listener[] } };
export interface RouteRule {
  matches?: { path?: { type?: string; value?: string } }[];
  filters?: { type: string }[];
  backendRefs?: Ref[];
}
export type HTTPRoute = K8sObject & { spec: { parentRefs?: Ref[]; hostnames?: string[]; rules?: RouteRule[] } };

/** What is applied once per cluster, not per deploy (infra/k8s/cluster/: the GatewayClass). */
export function clusterObjects(): K8sObject[] {
  const dir = join(infraDir, 'k8s', 'cluster');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => parseYamlStream(readFileSync(join(dir, f), 'utf8')));
}

export const gateways = (objects: K8sObject[]) => objects.filter(isKind<Gateway>('Gateway'));
export const httpRoutes = (objects: K8sObject[]) => objects.filter(isKind<HTTPRoute>('HTTPRoute'));

let validators: Map<string, ValidateFunction> | undefined;
function validatorFor(kind: string): ValidateFunction | undefined {
  if (!validators) {
    const schema = JSON.parse(readFileSync(join(fixturesDir, 'gateway-api-v1.json'), 'utf8')) as { definitions: object };
    const ajv = new Ajv({ strict: false, allErrors: true });
    ajv.addSchema(schema, 'gateway-api');
    validators = new Map(['GatewayClass', 'Gateway', 'HTTPRoute'].map((k) => [k, ajv.getSchema(`gateway-api#/definitions/${k}`)!]));
  }
  return validators.get(kind);
}

const sentence = (e: ErrorObject) =>
  e.keyword === 'additionalProperties'
    ? `${e.instancePath || '/'} has unknown field ${(e.params as { additionalProperty: string }).additionalProperty}`
    : `${e.instancePath || '/'} ${e.message}`;

/** Gateway API objects checked against the stored schema; other kinds are left to kubernetes-models. */
export function gatewaySchemaProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const o of objects.filter(isGatewayApi)) {
    const validate = o.apiVersion === GATEWAY_API ? validatorFor(o.kind) : undefined;
    if (!validate) {
      problems.push(`${idOf(o)}: no schema for ${o.kind} in apiVersion ${o.apiVersion}`);
      continue;
    }
    if (!validate(o)) {
      // if/then failures repeat the inner error: keep the inner ones.
      const errors = (validate.errors ?? []).filter((e) => e.keyword !== 'if');
      problems.push(`${idOf(o)}: ${[...new Set(errors.map(sentence))].join('; ')}`);
    }
  }
  return problems;
}

export interface RouteReferenceOptions {
  /** GatewayClasses created outside the overlays (infra/k8s/cluster/): the Gateways may name them. */
  gatewayClasses?: string[];
  /** Secrets created outside the manifests (prod's certificate). */
  externalSecrets?: string[];
}

/** Every name an HTTPRoute or a Gateway points at resolves: Gateway and listener, Service and port, class, certificate. */
export function routeReferences(objects: K8sObject[], { gatewayClasses = [], externalSecrets = [] }: RouteReferenceOptions = {}): string[] {
  const problems: string[] = [];
  for (const gw of gateways(objects)) {
    const cls = gw.spec.gatewayClassName;
    if (!gatewayClasses.includes(cls) && !find(objects, 'GatewayClass', cls))
      problems.push(`${idOf(gw)}: GatewayClass ${cls} does not exist`);
    const names = gw.spec.listeners.map((l) => l.name);
    for (const n of new Set(names)) if (names.filter((x) => x === n).length > 1) problems.push(`${idOf(gw)}: listener name ${n} is used twice`);
    for (const l of gw.spec.listeners)
      for (const ref of l.tls?.certificateRefs ?? [])
        if ((ref.kind ?? 'Secret') === 'Secret' && !find(objects, 'Secret', ref.name) && !externalSecrets.includes(ref.name))
          problems.push(`${idOf(gw)} listener ${l.name}: certificate Secret ${ref.name} does not exist`);
  }
  for (const route of httpRoutes(objects)) {
    const id = idOf(route);
    for (const parent of route.spec.parentRefs ?? []) {
      const gw = (parent.kind ?? 'Gateway') === 'Gateway' ? (find(objects, 'Gateway', parent.name) as Gateway | undefined) : undefined;
      if (!gw) problems.push(`${id}: its parent Gateway ${parent.name} does not exist`);
      else if (parent.sectionName && !gw.spec.listeners.some((l) => l.name === parent.sectionName))
        problems.push(`${id}: Gateway ${parent.name} has no listener ${parent.sectionName}`);
    }
    for (const rule of route.spec.rules ?? []) {
      const path = rule.matches?.map((m) => m.path?.value ?? '/').join(', ') || '(every path)';
      for (const ref of rule.backendRefs ?? []) {
        if ((ref.kind ?? 'Service') !== 'Service' || (ref.group ?? '') !== '') continue;
        const svc = find(objects, 'Service', ref.name) as Service | undefined;
        if (!svc) problems.push(`${id}: ${path} goes to Service ${ref.name}, which does not exist`);
        else if (!(svc.spec?.ports ?? []).some((p) => p.port === ref.port))
          problems.push(`${id}: ${path} goes to port ${ref.port} of Service ${ref.name}, which has no such port`);
      }
    }
  }
  return problems;
}

/** The Secrets the Gateways terminate TLS with. */
export const certificateSecrets = (objects: K8sObject[]) =>
  gateways(objects).flatMap((gw) =>
    gw.spec.listeners.flatMap((l) => (l.tls?.certificateRefs ?? []).filter((r) => (r.kind ?? 'Secret') === 'Secret').map((r) => r.name)),
  );

/**
 * The routes themselves: on every HTTPRoute that sends traffic somewhere (a redirect-only
 * route does not), every API prefix the services' code answers goes to that service, and
 * everything else to the client.
 */
export function gatewayRoutes(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  const expected = new Map([...apiRoutes(), ['/', 'client']]);
  for (const route of httpRoutes(objects)) {
    const rules = route.spec.rules ?? [];
    if (!rules.some((r) => (r.backendRefs ?? []).length > 0)) continue;
    const where = `${idOf(route)} (${(route.spec.hostnames ?? ['*']).join(', ')})`;
    const actual = new Map<string, string>();
    for (const rule of rules)
      for (const m of rule.matches ?? [{ path: { type: 'PathPrefix', value: '/' } }]) {
        const path = m.path?.value ?? '/';
        actual.set(path, (rule.backendRefs ?? []).map((b) => b.name).join('+') || 'nothing');
        if ((m.path?.type ?? 'PathPrefix') !== 'PathPrefix') problems.push(`${where}: ${path} should be a PathPrefix match`);
      }
    for (const [path, service] of expected)
      if (actual.get(path) !== service) problems.push(`${where}: ${path} should go to ${service}, goes to ${actual.get(path) ?? 'nothing'}`);
    for (const [path, service] of actual)
      if (!expected.has(path)) problems.push(`${where}: ${path} -> ${service} is not a route any service answers`);
  }
  return problems;
}
