/**
 * The rendered Kubernetes manifests, read as a container engine would run them on one host:
 * each Deployment or StatefulSet becomes one container per pod container, with the pod's and
 * container's user, read-only root filesystem, dropped capabilities, no privilege escalation,
 * memory limit, environment (ConfigMaps and Secrets resolved), volumes (emptyDir as tmpfs,
 * ConfigMap files, a named volume per claim) and the names of the Services that select it.
 * What a single host cannot do (probes, scheduling, network policies) is left to the tests.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Container, PodSpec } from 'kubernetes-types/core/v1.js';
import type { K8sObject } from '../test/support/kustomize.js';

export interface ContainerSpec {
  /** The workload's name: auth, auth-postgres, nats, front-door, ... */
  workload: string;
  image: string;
  /** Service names that reach it (its network aliases). */
  aliases: string[];
  env: Record<string, string>;
  user?: string;
  groups: string[];
  readOnlyRoot: boolean;
  dropAll: boolean;
  noNewPrivileges: boolean;
  memoryLimit?: string;
  tmpfs: string[];
  /** host path or volume name -> container path (and options). */
  mounts: { source: string; target: string; readOnly: boolean; named: boolean }[];
  entrypoint?: string;
  args: string[];
  ports: Record<string, number>;
  gracePeriodSeconds: number;
  preStop?: string[];
  readinessPath?: { path: string; port: number };
}

const byKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);

/** Every workload's containers, ready to run; `filesDir` receives the ConfigMap and Secret files they mount. */
export function containerSpecs(objects: K8sObject[], filesDir: string): ContainerSpec[] {
  const data = (kind: 'ConfigMap' | 'Secret', name: string | undefined, optional = false): Record<string, string> => {
    const o = objects.find((x) => x.kind === kind && x.metadata.name === name) as (K8sObject & { data?: Record<string, string>; stringData?: Record<string, string> }) | undefined;
    if (!o && optional) return {};
    if (!o) throw new Error(`${kind} ${name} is not in the rendered manifests`);
    const decoded = Object.fromEntries(Object.entries(o.data ?? {}).map(([k, v]) => [k, kind === 'Secret' ? Buffer.from(v, 'base64').toString('utf8') : v]));
    return { ...decoded, ...(o.stringData ?? {}) };
  };
  const services = byKind(objects, 'Service') as (K8sObject & { spec: { selector?: Record<string, string> } })[];
  const specs: ContainerSpec[] = [];
  for (const workload of [...byKind(objects, 'Deployment'), ...byKind(objects, 'StatefulSet')]) {
    const template = (workload as K8sObject & { spec: { template: { metadata: { labels: Record<string, string> }; spec: PodSpec } } }).spec.template;
    const pod = template.spec;
    const labels = template.metadata.labels;
    const aliases = services
      .filter((s) => s.spec.selector && Object.entries(s.spec.selector).every(([k, v]) => labels[k] === v))
      .map((s) => s.metadata.name);
    for (const c of pod.containers) {
      const security = { ...pod.securityContext, ...c.securityContext };
      const env: Record<string, string> = {};
      for (const from of c.envFrom ?? []) {
        if (from.configMapRef) Object.assign(env, data('ConfigMap', from.configMapRef.name));
        if (from.secretRef) Object.assign(env, data('Secret', from.secretRef.name));
      }
      for (const e of c.env ?? []) {
        const ref = e.valueFrom?.secretKeyRef ?? e.valueFrom?.configMapKeyRef;
        const kind = e.valueFrom?.secretKeyRef ? 'Secret' : 'ConfigMap';
        const value = ref ? data(kind, ref.name, ref.optional)[ref.key] : e.value;
        // An optional key that is missing leaves the variable unset, as in Kubernetes.
        if (value !== undefined) env[e.name] = value;
      }
      const tmpfs: string[] = [];
      const mounts: ContainerSpec['mounts'] = [];
      for (const m of c.volumeMounts ?? []) {
        const volume = pod.volumes?.find((v) => v.name === m.name);
        if (volume?.emptyDir) tmpfs.push(m.mountPath);
        else if (volume?.configMap || volume?.secret) {
          const dir = join(filesDir, workload.metadata.name, m.name);
          mkdirSync(dir, { recursive: true });
          const files = volume.configMap ? data('ConfigMap', volume.configMap.name) : data('Secret', volume.secret?.secretName);
          for (const [k, v] of Object.entries(files)) writeFileSync(join(dir, k), v);
          mounts.push({ source: dir, target: m.mountPath, readOnly: true, named: false });
        } else {
          // A claim (volumeClaimTemplates or persistentVolumeClaim): a named volume of its own.
          mounts.push({ source: `${workload.metadata.name}-${m.name}`, target: m.mountPath, readOnly: !!m.readOnly, named: true });
        }
      }
      const ports = Object.fromEntries((c.ports ?? []).map((p) => [p.name ?? String(p.containerPort), p.containerPort]));
      const probe = c.readinessProbe?.httpGet;
      specs.push({
        workload: workload.metadata.name,
        image: c.image ?? '',
        aliases,
        env,
        user: security.runAsUser !== undefined ? `${security.runAsUser}:${security.runAsGroup ?? security.runAsUser}` : undefined,
        groups: security.fsGroup !== undefined ? [String(security.fsGroup)] : [],
        readOnlyRoot: !!security.readOnlyRootFilesystem,
        dropAll: !!security.capabilities?.drop?.includes('ALL'),
        noNewPrivileges: security.allowPrivilegeEscalation === false,
        memoryLimit: c.resources?.limits?.memory,
        tmpfs,
        mounts,
        entrypoint: c.command?.[0],
        args: [...(c.command?.slice(1) ?? []), ...(c.args ?? [])],
        ports,
        gracePeriodSeconds: pod.terminationGracePeriodSeconds ?? 30,
        preStop: c.lifecycle?.preStop?.exec?.command,
        readinessPath: probe ? { path: probe.path ?? '/', port: typeof probe.port === 'number' ? probe.port : ports[probe.port]! } : undefined,
      });
    }
  }
  return specs;
}

/** `320Mi` -> `320m`, `1Gi` -> `1g`: the engine's units. */
export const engineMemory = (quantity: string) => quantity.replace(/Mi$/, 'm').replace(/Gi$/, 'g');
