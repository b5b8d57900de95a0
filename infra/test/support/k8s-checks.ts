/**
 * Checks over one rendered overlay. Each returns the problems it finds, as sentences that
 * name the object, so a test can assert "none" for the real overlays and "this one" for a
 * deliberately broken fixture.
 */
import type { HorizontalPodAutoscaler } from 'kubernetes-types/autoscaling/v2.js';
import type { ConfigMap, Container, PodSpec, Probe, Secret, Service } from 'kubernetes-types/core/v1.js';
import type { NetworkPolicy } from 'kubernetes-types/networking/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import {
  allContainers,
  containerPort,
  decode,
  deployments,
  effectiveEnv,
  envValues,
  find,
  imageName,
  imageTag,
  isEmptySelector,
  isKind,
  isPinnedTag,
  mapSelector,
  parseUrl,
  podPort,
  podTemplates,
  selects,
  services,
  type PodTemplate,
} from './k8s.js';
import { certificateSecrets, routeReferences } from './gateway.js';
import { idOf, type K8sObject } from './kustomize.js';
import { clientStaticRoutes, healthRoutes, services as serviceNames, shutdownLimitSeconds } from './repo.js';

/** Images built by skaffold (ticketing/<workspace>): the workspace they come from. */
export const workspaceOfImage = (image: string) => {
  const m = imageName(image).match(/^ticketing\/([a-z-]+)$/);
  return m ? m[1]! : undefined;
};

const podsSelectedBy = (objects: K8sObject[], selector: Parameters<typeof selects>[0]) =>
  podTemplates(objects).filter((p) => selects(selector, p.labels));

// ---------------------------------------------------------------------------------------
// Cross-references: every name, selector and port that points somewhere resolves.

export interface CrossReferenceOptions {
  /** Secrets created outside the manifests (prod): references to them are allowed. */
  externalSecrets?: string[];
  /** GatewayClasses created once per cluster (infra/k8s/cluster/), not by the overlays. */
  gatewayClasses?: string[];
}

export function crossReferences(objects: K8sObject[], options: CrossReferenceOptions = {}): string[] {
  return [
    ...workloadReferences(objects),
    ...serviceReferences(objects),
    ...routeReferences(objects, options),
    ...scalingReferences(objects),
    ...configReferences(objects, options),
    ...probeReferences(objects),
    ...networkPolicyReferences(objects),
    ...urlReferences(objects),
  ];
}

export function workloadReferences(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const pod of podTemplates(objects)) {
    const selector = pod.workload.spec?.selector;
    if (isEmptySelector(selector) || !selects(selector, pod.labels))
      problems.push(`${pod.owner}: its selector does not match its own pod template's labels`);
    const sa = pod.spec.serviceAccountName;
    if (sa && !find(objects, 'ServiceAccount', sa)) problems.push(`${pod.owner}: ServiceAccount ${sa} does not exist`);
    if (pod.workload.kind === 'StatefulSet') {
      const name = (pod.workload.spec as { serviceName?: string }).serviceName ?? '';
      const svc = find(objects, 'Service', name) as Service | undefined;
      if (!svc) problems.push(`${pod.owner}: its governing Service ${name} does not exist`);
      else if (svc.spec?.clusterIP !== 'None') problems.push(`${pod.owner}: its governing Service ${name} is not headless`);
    }
  }
  return problems;
}

export function serviceReferences(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const svc of services(objects)) {
    const id = idOf(svc);
    const selector = svc.spec?.selector;
    if (!selector || Object.keys(selector).length === 0) {
      problems.push(`${id}: has no selector`);
      continue;
    }
    const pods = podsSelectedBy(objects, mapSelector(selector));
    if (pods.length === 0) {
      problems.push(`${id}: selector ${JSON.stringify(selector)} matches no pod template`);
      continue;
    }
    for (const port of svc.spec?.ports ?? []) {
      const target = port.targetPort ?? port.port;
      for (const pod of pods)
        if (!podPort(pod.spec, target))
          problems.push(`${id}: port ${port.name ?? port.port} targets ${target}, which ${pod.owner}'s containers do not expose`);
    }
  }
  return problems;
}

/** The Service port a backend names (by name or number), if it exists. */
function servicePort(objects: K8sObject[], service: string, port: { name?: string; number?: number } | undefined) {
  const svc = find(objects, 'Service', service) as Service | undefined;
  if (!svc) return { svc, port: undefined };
  const p = (svc.spec?.ports ?? []).find((sp) => (port?.name ? sp.name === port.name : sp.port === port?.number));
  return { svc, port: p };
}

export function scalingReferences(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const hpa of objects.filter(isKind<HorizontalPodAutoscaler>('HorizontalPodAutoscaler'))) {
    const ref = hpa.spec?.scaleTargetRef;
    const target = ref && find(objects, ref.kind, ref.name);
    if (!target || target.apiVersion !== ref.apiVersion)
      problems.push(`${idOf(hpa)}: scales ${ref?.apiVersion} ${ref?.kind}/${ref?.name}, which does not exist`);
  }
  for (const pdb of objects.filter(isKind<PodDisruptionBudget>('PodDisruptionBudget'))) {
    if (isEmptySelector(pdb.spec?.selector) || podsSelectedBy(objects, pdb.spec?.selector).length === 0)
      problems.push(`${idOf(pdb)}: its selector matches no pod template`);
  }
  return problems;
}

export function configReferences(objects: K8sObject[], { externalSecrets = [] }: CrossReferenceOptions = {}): string[] {
  const problems: string[] = [];
  const missing = (kind: 'Secret' | 'ConfigMap', name: string, optional: boolean, where: string) => {
    if (find(objects, kind, name) || optional) return;
    if (kind === 'Secret' && externalSecrets.includes(name)) return;
    problems.push(`${where}: ${kind} ${name} does not exist`);
  };
  for (const pod of podTemplates(objects)) {
    for (const c of allContainers(pod.spec)) {
      const where = `${pod.owner} container ${c.name}`;
      for (const from of c.envFrom ?? []) {
        if (from.configMapRef) missing('ConfigMap', from.configMapRef.name ?? '', !!from.configMapRef.optional, where);
        if (from.secretRef) missing('Secret', from.secretRef.name ?? '', !!from.secretRef.optional, where);
      }
      for (const e of c.env ?? []) {
        const cmRef = e.valueFrom?.configMapKeyRef;
        if (cmRef) {
          missing('ConfigMap', cmRef.name ?? '', !!cmRef.optional, `${where} env ${e.name}`);
          const cm = find(objects, 'ConfigMap', cmRef.name ?? '') as ConfigMap | undefined;
          if (cm && cm.data?.[cmRef.key] === undefined && !cmRef.optional)
            problems.push(`${where} env ${e.name}: ConfigMap ${cmRef.name} has no key ${cmRef.key}`);
        }
        const sRef = e.valueFrom?.secretKeyRef;
        if (sRef) {
          missing('Secret', sRef.name ?? '', !!sRef.optional, `${where} env ${e.name}`);
          const s = find(objects, 'Secret', sRef.name ?? '') as Secret | undefined;
          if (s && decode(s, sRef.key) === undefined && !sRef.optional)
            problems.push(`${where} env ${e.name}: Secret ${sRef.name} has no key ${sRef.key}`);
        }
      }
    }
    for (const v of pod.spec.volumes ?? []) {
      if (v.configMap) missing('ConfigMap', v.configMap.name ?? '', !!v.configMap.optional, `${pod.owner} volume ${v.name}`);
      if (v.secret) missing('Secret', v.secret.secretName ?? '', !!v.secret.optional, `${pod.owner} volume ${v.name}`);
    }
    const volumeNames = new Set([
      ...(pod.spec.volumes ?? []).map((v) => v.name),
      ...((pod.workload.spec as { volumeClaimTemplates?: { metadata?: { name?: string } }[] }).volumeClaimTemplates ?? []).map(
        (t) => t.metadata?.name,
      ),
    ]);
    for (const c of allContainers(pod.spec))
      for (const m of c.volumeMounts ?? [])
        if (!volumeNames.has(m.name)) problems.push(`${pod.owner} container ${c.name}: mounts volume ${m.name}, which is not declared`);
  }
  return problems;
}

/** The HTTP paths a container really answers, from the project's code and configuration. */
function knownEndpoints(objects: K8sObject[], pod: PodTemplate, c: Container): { paths: string[]; port?: number } | undefined {
  const workspace = workspaceOfImage(c.image ?? '');
  const port = Number(envValues(objects, c)['PORT'] ?? NaN);
  if (workspace && serviceNames().includes(workspace)) return { paths: healthRoutes(), port };
  if (workspace === 'client') return { paths: clientStaticRoutes(), port };
  const name = imageName(c.image ?? '');
  if (name === 'nats') {
    const args = [...(c.command ?? []), ...(c.args ?? [])];
    const m = args.indexOf('-m');
    return { paths: ['/healthz'], port: m >= 0 ? Number(args[m + 1]) : undefined };
  }
  if (name === 'nginx') {
    // Exact locations of the nginx.conf mounted from a ConfigMap, and its listen port.
    const confs = (pod.spec.volumes ?? [])
      .map((v) => v.configMap && (find(objects, 'ConfigMap', v.configMap.name ?? '') as ConfigMap | undefined))
      .flatMap((cm) => Object.values(cm?.data ?? {}));
    const text = confs.join('\n');
    const listen = text.match(/listen\s+(\d+)/);
    return { paths: [...text.matchAll(/location\s+=\s+(\S+)/g)].map((m) => m[1]!), port: listen ? Number(listen[1]) : undefined };
  }
  return undefined;
}

export function probeReferences(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const pod of podTemplates(objects)) {
    for (const c of pod.spec.containers) {
      const probes: [string, Probe | undefined][] = [
        ['liveness', c.livenessProbe],
        ['readiness', c.readinessProbe],
        ['startup', c.startupProbe],
      ];
      for (const [kind, probe] of probes) {
        if (!probe) continue;
        const where = `${pod.owner} container ${c.name} ${kind} probe`;
        const port = probe.httpGet?.port ?? probe.tcpSocket?.port ?? probe.grpc?.port;
        const resolved = port === undefined ? undefined : containerPort(c, port);
        if (port !== undefined && !resolved) problems.push(`${where}: port ${port} is not a port of the container`);
        if (probe.httpGet) {
          const known = knownEndpoints(objects, pod, c);
          const path = (probe.httpGet.path ?? '/').split('?')[0]!;
          if (!known) problems.push(`${where}: no known HTTP endpoints for image ${c.image}`);
          else {
            if (!known.paths.includes(path)) problems.push(`${where}: ${path} is not an endpoint it serves (${known.paths.join(', ')})`);
            if (resolved && known.port !== undefined && resolved.containerPort !== known.port)
              problems.push(`${where}: port ${port} is ${resolved.containerPort}, but the server listens on ${known.port}`);
          }
        }
        if (probe.exec?.command?.[0] === 'pg_isready') {
          const env = envValues(objects, c);
          const arg = (flag: string) => probe.exec!.command![probe.exec!.command!.indexOf(flag) + 1];
          if (arg('-U') !== env['POSTGRES_USER'] || arg('-d') !== env['POSTGRES_DB'])
            problems.push(`${where}: checks user ${arg('-U')} / database ${arg('-d')}, the server creates ${env['POSTGRES_USER']} / ${env['POSTGRES_DB']}`);
        }
      }
    }
  }
  return problems;
}

export function networkPolicyReferences(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const np of objects.filter(isKind<NetworkPolicy>('NetworkPolicy'))) {
    const id = idOf(np);
    const selected = podsSelectedBy(objects, np.spec?.podSelector);
    if (selected.length === 0) problems.push(`${id}: podSelector matches no pod template`);
    const rules = [
      ...(np.spec?.ingress ?? []).map((r) => ({ peers: r.from ?? [], ports: r.ports ?? [], targets: selected })),
      ...(np.spec?.egress ?? []).map((r) => ({ peers: r.to ?? [], ports: r.ports ?? [], targets: undefined })),
    ];
    for (const rule of rules) {
      for (const peer of rule.peers) {
        if (peer.podSelector && !peer.namespaceSelector && podsSelectedBy(objects, peer.podSelector).length === 0)
          problems.push(`${id}: peer ${JSON.stringify(peer.podSelector)} matches no pod template`);
      }
      // A named port must exist on the pods it is meant for (ingress: the selected pods;
      // egress: the in-namespace peers).
      const targets =
        rule.targets ?? rule.peers.flatMap((p) => (p.podSelector && !p.namespaceSelector ? podsSelectedBy(objects, p.podSelector) : []));
      for (const port of rule.ports) {
        if (typeof port.port !== 'string') continue;
        for (const t of targets)
          if (!podPort(t.spec, port.port)) problems.push(`${id}: named port ${port.port} is not a port of ${t.owner}`);
      }
    }
  }
  return problems;
}

/** Service base URLs in the environment (DATABASE_URL, NATS_URL, *_URL) reach a Service port with pods behind it. */
export function urlReferences(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const pod of podTemplates(objects)) {
    for (const c of pod.spec.containers) {
      for (const [name, value] of Object.entries(envValues(objects, c))) {
        if (!name.endsWith('_URL') || !/^[a-z]+:\/\//.test(value)) continue;
        const where = `${pod.owner} container ${c.name} ${name}`;
        const url = parseUrl(value);
        const { svc, port } = servicePort(objects, url.host, { number: url.port });
        if (!svc) {
          problems.push(`${where}: host ${url.host} is not a Service`);
          continue;
        }
        if (!port) {
          problems.push(`${where}: Service ${url.host} has no port ${url.port}`);
          continue;
        }
        const target = port.targetPort ?? port.port;
        const backends = podsSelectedBy(objects, mapSelector(svc.spec?.selector)).filter((p) => podPort(p.spec, target));
        if (backends.length === 0) problems.push(`${where}: no pod behind ${url.host}:${url.port}`);
        // A database URL must carry the credentials its server is created with.
        if (url.protocol.startsWith('postgres')) {
          for (const b of backends) {
            const server = b.spec.containers.find((bc) => containerPort(bc, target));
            const env = server ? envValues(objects, server) : {};
            const db = url.path.replace(/^\//, '');
            if (env['POSTGRES_USER'] !== url.user || env['POSTGRES_DB'] !== db || env['POSTGRES_PASSWORD'] !== url.password)
              problems.push(`${where}: its user, database or password differ from those ${b.owner} is created with`);
          }
        }
      }
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------
// Hardening: every pod the same way.

export interface HardeningOptions {
  /** Containers allowed a writable root filesystem (the dev overlay's synced sources). */
  writableRoot?: (pod: PodTemplate, container: Container) => boolean;
}

export function hardening(objects: K8sObject[], options: HardeningOptions = {}): string[] {
  const problems: string[] = [];
  const limit = shutdownLimitSeconds();
  for (const pod of podTemplates(objects)) {
    const spec: PodSpec = pod.spec;
    const psc = spec.securityContext ?? {};
    if (spec.automountServiceAccountToken !== false) problems.push(`${pod.owner}: mounts a service account token it does not need`);
    if (spec.hostNetwork || spec.hostPID || spec.hostIPC) problems.push(`${pod.owner}: shares a host namespace`);
    if (psc.runAsUser === 0) problems.push(`${pod.owner}: runs as root (runAsUser 0)`);
    if (spec.terminationGracePeriodSeconds === undefined) problems.push(`${pod.owner}: sets no terminationGracePeriodSeconds`);
    for (const c of allContainers(spec)) {
      const where = `${pod.owner} container ${c.name}`;
      const sc = c.securityContext ?? {};
      if ((sc.runAsNonRoot ?? psc.runAsNonRoot) !== true) problems.push(`${where}: runAsNonRoot is not set`);
      if (sc.runAsUser === 0) problems.push(`${where}: runs as root (runAsUser 0)`);
      if (sc.allowPrivilegeEscalation !== false) problems.push(`${where}: allowPrivilegeEscalation is not false`);
      if (sc.privileged) problems.push(`${where}: is privileged`);
      if (sc.readOnlyRootFilesystem !== true && !options.writableRoot?.(pod, c))
        problems.push(`${where}: readOnlyRootFilesystem is not true`);
      if (!(sc.capabilities?.drop ?? []).includes('ALL')) problems.push(`${where}: does not drop all capabilities`);
      if ((sc.capabilities?.add ?? []).length > 0) problems.push(`${where}: adds capabilities`);
      if ((sc.seccompProfile ?? psc.seccompProfile)?.type !== 'RuntimeDefault') problems.push(`${where}: no RuntimeDefault seccomp profile`);
      for (const kind of ['requests', 'limits'] as const)
        for (const resource of ['cpu', 'memory'])
          if (c.resources?.[kind]?.[resource] === undefined) problems.push(`${where}: no ${resource} ${kind.slice(0, -1)}`);
    }
    for (const c of spec.containers) {
      const where = `${pod.owner} container ${c.name}`;
      if (!c.livenessProbe) problems.push(`${where}: no liveness probe`);
      if (!c.readinessProbe) problems.push(`${where}: no readiness probe`);
      const workspace = workspaceOfImage(c.image ?? '');
      if (workspace && serviceNames().includes(workspace)) {
        if (c.livenessProbe?.httpGet?.path !== '/healthz') problems.push(`${where}: liveness probe is not GET /healthz`);
        if (c.readinessProbe?.httpGet?.path !== '/readyz') problems.push(`${where}: readiness probe is not GET /readyz`);
      }
      if (workspace) {
        // The kubelet's SIGKILL must come after the preStop pause and the service's own limit.
        const pause = Number(c.lifecycle?.preStop?.exec?.command?.[0] === 'sleep' ? c.lifecycle.preStop.exec.command[1] : 0);
        const grace = spec.terminationGracePeriodSeconds ?? 30;
        if (grace <= pause + limit)
          problems.push(`${where}: terminationGracePeriodSeconds ${grace} is not longer than the ${pause} s preStop pause plus the ${limit} s shutdown limit`);
      }
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------
// Images: ours come from skaffold; everything else is pinned to a release.

export function images(objects: K8sObject[], artifacts: string[]): string[] {
  const problems: string[] = [];
  for (const pod of podTemplates(objects)) {
    for (const c of allContainers(pod.spec)) {
      const image = c.image ?? '';
      const where = `${pod.owner} container ${c.name}`;
      if (image.startsWith('ticketing/')) {
        if (!artifacts.includes(imageName(image))) problems.push(`${where}: image ${image} is not an artifact in skaffold.yaml`);
      } else if (!isPinnedTag(imageTag(image)) && !image.includes('@sha256:')) {
        problems.push(`${where}: image ${image} is not pinned to a release`);
      }
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------
// Availability (prod): two pods or more, autoscaled, protected from voluntary disruption.

const autoscalerOf = (objects: K8sObject[], kind: string, name: string) =>
  objects
    .filter(isKind<HorizontalPodAutoscaler>('HorizontalPodAutoscaler'))
    .find((h) => h.spec?.scaleTargetRef.kind === kind && h.spec.scaleTargetRef.name === name);

export function availability(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  const pdbs = objects.filter(isKind<PodDisruptionBudget>('PodDisruptionBudget'));
  for (const d of deployments(objects)) {
    const id = idOf(d);
    const hpa = autoscalerOf(objects, 'Deployment', d.metadata.name);
    if (!hpa) {
      problems.push(`${id}: no HorizontalPodAutoscaler`);
      if ((d.spec?.replicas ?? 1) < 2) problems.push(`${id}: ${d.spec?.replicas ?? 1} replica(s), needs at least 2`);
    } else if ((hpa.spec?.minReplicas ?? 1) < 2 || hpa.spec!.maxReplicas < (hpa.spec?.minReplicas ?? 1))
      problems.push(`${id}: its autoscaler's range ${hpa.spec?.minReplicas ?? 1}-${hpa.spec?.maxReplicas} does not keep 2 pods`);
    const labels = d.spec?.template.metadata?.labels ?? {};
    if (!pdbs.some((p) => !isEmptySelector(p.spec?.selector) && selects(p.spec?.selector, labels)))
      problems.push(`${id}: no PodDisruptionBudget`);
  }
  return problems;
}

/**
 * A rollout never takes away a ready pod before its replacement is ready: every Deployment
 * rolls with `maxUnavailable: 0` and a surge of at least one (with no surge it could not move).
 */
export function rollouts(objects: K8sObject[]): string[] {
  return deployments(objects).flatMap((d) => {
    const strategy = d.spec?.strategy;
    if (strategy?.type !== 'RollingUpdate') return [`${idOf(d)}: strategy ${strategy?.type ?? 'unset (the default: 25% of the pods may be unavailable)'}, not RollingUpdate with maxUnavailable 0`];
    const unavailable = strategy.rollingUpdate?.maxUnavailable;
    const surge = strategy.rollingUpdate?.maxSurge;
    const problems: string[] = [];
    if (unavailable !== 0 && unavailable !== '0%') problems.push(`${idOf(d)}: maxUnavailable ${unavailable ?? 'unset (25%)'}, not 0: a rollout may take a ready pod away first`);
    if (surge === 0 || surge === '0%') problems.push(`${idOf(d)}: maxSurge 0 with maxUnavailable 0: a rollout could never start`);
    return problems;
  });
}

/**
 * A workload that an autoscaler scales sets no replicas of its own: every apply would reset
 * the autoscaler's count to that number (the autoscaler's minReplicas is the floor instead).
 */
export function autoscaledReplicas(objects: K8sObject[]): string[] {
  return podTemplates(objects)
    .filter((p) => (p.workload.spec as { replicas?: number }).replicas !== undefined)
    .filter((p) => autoscalerOf(objects, p.workload.kind, p.workload.metadata.name))
    .map(
      (p) =>
        `${p.owner}: sets replicas ${(p.workload.spec as { replicas?: number }).replicas} although HorizontalPodAutoscaler/${autoscalerOf(objects, p.workload.kind, p.workload.metadata.name)!.metadata.name} scales it; every deploy would reset the count`,
    );
}

/** The Secrets the pods and the Gateway need (optional references left out). */
export function secretNamesReferenced(objects: K8sObject[]): string[] {
  const names = new Set<string>();
  for (const pod of podTemplates(objects)) {
    for (const c of allContainers(pod.spec)) {
      for (const [, src] of effectiveEnv(objects, c)) if (src.kind === 'secret' && !src.optional) names.add(src.name);
      // A whole Secret as variables (envFrom), which effectiveEnv lists only when it exists.
      for (const from of c.envFrom ?? []) if (from.secretRef?.name && !from.secretRef.optional) names.add(from.secretRef.name);
    }
    for (const v of pod.spec.volumes ?? []) if (v.secret?.secretName && !v.secret.optional) names.add(v.secret.secretName);
  }
  for (const name of certificateSecrets(objects)) names.add(name);
  return [...names].sort();
}
