/** Reading rendered Kubernetes objects: pod templates, selectors, ports, env. */
import type { Deployment, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { ConfigMap, Container, ContainerPort, PodSpec, Secret, Service } from 'kubernetes-types/core/v1.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { idOf, type K8sObject } from './kustomize.js';

export const isKind = <T>(kind: string) => (o: K8sObject): o is K8sObject & T => o.kind === kind;
export const deployments = (objects: K8sObject[]) => objects.filter(isKind<Deployment>('Deployment'));
export const services = (objects: K8sObject[]) => objects.filter(isKind<Service>('Service'));
export const configMaps = (objects: K8sObject[]) => objects.filter(isKind<ConfigMap>('ConfigMap'));
export const secrets = (objects: K8sObject[]) => objects.filter(isKind<Secret>('Secret'));

export const find = (objects: K8sObject[], kind: string, name: string) =>
  objects.find((o) => o.kind === kind && o.metadata.name === name);

/** A pod template and the workload that owns it. */
export interface PodTemplate {
  owner: string; // e.g. "Deployment/tickets"
  workload: K8sObject & (Deployment | StatefulSet);
  labels: Record<string, string>;
  spec: PodSpec;
}

export function podTemplates(objects: K8sObject[]): PodTemplate[] {
  return objects
    .filter((o): o is K8sObject & (Deployment | StatefulSet) => o.kind === 'Deployment' || o.kind === 'StatefulSet')
    .map((workload) => ({
      owner: idOf(workload),
      workload,
      labels: workload.spec?.template.metadata?.labels ?? {},
      spec: workload.spec?.template.spec ?? { containers: [] },
    }));
}

export const allContainers = (spec: PodSpec): Container[] => [...(spec.initContainers ?? []), ...spec.containers];

/** Kubernetes label selector semantics (matchLabels and matchExpressions). */
export function selects(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const value = labels[e.key];
    const values = e.values ?? [];
    if (e.operator === 'In' && (value === undefined || !values.includes(value))) return false;
    if (e.operator === 'NotIn' && value !== undefined && values.includes(value)) return false;
    if (e.operator === 'Exists' && value === undefined) return false;
    if (e.operator === 'DoesNotExist' && value !== undefined) return false;
  }
  return true;
}

export const isEmptySelector = (s: LabelSelector | undefined) =>
  !s || (Object.keys(s.matchLabels ?? {}).length === 0 && (s.matchExpressions ?? []).length === 0);

/** A Service's plain `selector` map as a LabelSelector. */
export const mapSelector = (m: Record<string, string> | undefined): LabelSelector => ({ matchLabels: m ?? {} });

/** The container port a name or number refers to, in one container. */
export function containerPort(container: Container, port: string | number): ContainerPort | undefined {
  return (container.ports ?? []).find((p) => (typeof port === 'number' ? p.containerPort === port : p.name === port));
}

export function podPort(spec: PodSpec, port: string | number): ContainerPort | undefined {
  for (const c of spec.containers) {
    const found = containerPort(c, port);
    if (found) return found;
  }
  return undefined;
}

/** Where an env var of a container comes from, resolved against the rendered objects. */
export type EnvSource =
  | { kind: 'value'; value: string }
  | { kind: 'configMap' | 'secret'; name: string; key: string; optional: boolean; value?: string }
  | { kind: 'other' };

export function decode(secret: Secret, key: string): string | undefined {
  if (secret.stringData?.[key] !== undefined) return secret.stringData[key];
  const b64 = secret.data?.[key];
  return b64 === undefined ? undefined : Buffer.from(b64, 'base64').toString('utf8');
}

/** The container's environment as the kubelet would build it (envFrom first, env overrides). */
export function effectiveEnv(objects: K8sObject[], container: Container): Map<string, EnvSource> {
  const env = new Map<string, EnvSource>();
  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    if (from.configMapRef) {
      const cm = find(objects, 'ConfigMap', from.configMapRef.name ?? '') as ConfigMap | undefined;
      for (const [k, v] of Object.entries(cm?.data ?? {}))
        env.set(prefix + k, { kind: 'configMap', name: from.configMapRef.name ?? '', key: k, optional: false, value: v });
    }
    if (from.secretRef) {
      const s = find(objects, 'Secret', from.secretRef.name ?? '') as Secret | undefined;
      for (const k of Object.keys({ ...s?.data, ...s?.stringData }))
        env.set(prefix + k, { kind: 'secret', name: from.secretRef.name ?? '', key: k, optional: false, value: decode(s!, k) });
    }
  }
  for (const e of container.env ?? []) {
    if (e.value !== undefined) env.set(e.name, { kind: 'value', value: e.value });
    else if (e.valueFrom?.configMapKeyRef) {
      const ref = e.valueFrom.configMapKeyRef;
      const cm = find(objects, 'ConfigMap', ref.name ?? '') as ConfigMap | undefined;
      env.set(e.name, { kind: 'configMap', name: ref.name ?? '', key: ref.key, optional: !!ref.optional, value: cm?.data?.[ref.key] });
    } else if (e.valueFrom?.secretKeyRef) {
      const ref = e.valueFrom.secretKeyRef;
      const s = find(objects, 'Secret', ref.name ?? '') as Secret | undefined;
      env.set(e.name, { kind: 'secret', name: ref.name ?? '', key: ref.key, optional: !!ref.optional, value: s ? decode(s, ref.key) : undefined });
    } else env.set(e.name, { kind: 'other' });
  }
  return env;
}

/** Plain values only (what a process would see), for the variables that resolve. */
export function envValues(objects: K8sObject[], container: Container): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [k, src] of effectiveEnv(objects, container)) {
    if ((src.kind === 'value' || src.kind === 'configMap' || src.kind === 'secret') && src.value !== undefined) values[k] = src.value;
  }
  return values;
}

/** Image name without tag or digest: "ticketing/tickets:abc" -> "ticketing/tickets". */
export function imageName(image: string): string {
  const noDigest = image.split('@')[0]!;
  const lastSlash = noDigest.lastIndexOf('/');
  const colon = noDigest.indexOf(':', lastSlash + 1);
  return colon === -1 ? noDigest : noDigest.slice(0, colon);
}

export function imageTag(image: string): string | undefined {
  const noDigest = image.split('@')[0]!;
  const lastSlash = noDigest.lastIndexOf('/');
  const colon = noDigest.indexOf(':', lastSlash + 1);
  return colon === -1 ? undefined : noDigest.slice(colon + 1);
}

/** A tag naming one release, like 2.10.29-alpine or 16.14-alpine: not "latest", not "16". */
export const isPinnedTag = (tag: string | undefined) => !!tag && /^v?\d+\.\d+(\.\d+)?([-.][\w.-]+)?$/.test(tag);

/** "postgres://user:pw@host:5432/db" -> its parts (also nats://, http://). */
export function parseUrl(url: string) {
  const u = new URL(url);
  const defaultPorts: Record<string, number> = { 'http:': 80, 'https:': 443, 'postgres:': 5432, 'postgresql:': 5432, 'nats:': 4222 };
  return {
    protocol: u.protocol,
    host: u.hostname,
    port: u.port ? Number(u.port) : defaultPorts[u.protocol],
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    path: u.pathname,
  };
}
