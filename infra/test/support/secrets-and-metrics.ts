/**
 * Two checks over one rendered overlay: the session-signing private key reaches only auth's
 * pods, and each service's metrics port is declared by its pods, scraped there, and exposed
 * by no Service (the API's Service, which the Gateway routes to, must not serve /metrics).
 */
import type { Secret, Service } from 'kubernetes-types/core/v1.js';
import { allContainers, envValues, find, isKind, podTemplates, selects } from './k8s.js';
import type { K8sObject } from './kustomize.js';

const PRIVATE_KEY = 'JWT_PRIVATE_KEY';
/** The Secret that holds the private key, by name (in prod it is created outside the manifests). */
const PRIVATE_SECRET = 'jwt-private';

/** The Secrets a pod template reads: env, envFrom, and volumes (projected ones too). */
function secretsRead(pod: ReturnType<typeof podTemplates>[number]): string[] {
  const names = new Set<string>();
  for (const c of allContainers(pod.spec)) {
    for (const e of c.env ?? []) if (e.valueFrom?.secretKeyRef?.name) names.add(e.valueFrom.secretKeyRef.name);
    for (const f of c.envFrom ?? []) if (f.secretRef?.name) names.add(f.secretRef.name);
  }
  for (const v of pod.spec.volumes ?? []) {
    if (v.secret?.secretName) names.add(v.secret.secretName);
    for (const s of v.projected?.sources ?? []) if (s.secret?.name) names.add(s.secret.name);
  }
  return [...names];
}

/** Whether a Secret holds the private key: by its name, or (when it is rendered, as in dev) by its keys. */
function holdsPrivateKey(objects: K8sObject[], name: string): boolean {
  if (name.replace(/-[a-z0-9]{10}$/, '') === PRIVATE_SECRET) return true;
  const secret = find(objects, 'Secret', name) as Secret | undefined;
  return !!secret && (PRIVATE_KEY in (secret.data ?? {}) || PRIVATE_KEY in (secret.stringData ?? {}));
}

/** Problems: a pod other than auth's that can read the private key, or an auth pod that cannot. */
export function privateKeyReaders(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const pod of podTemplates(objects)) {
    const readers = secretsRead(pod).filter((name) => holdsPrivateKey(objects, name));
    const isAuth = pod.owner === 'Deployment/auth';
    if (isAuth && readers.length === 0) problems.push(`${pod.owner}: reads no Secret holding ${PRIVATE_KEY}, so it cannot sign sessions`);
    if (!isAuth) for (const name of readers) problems.push(`${pod.owner}: reads Secret ${name}, which holds the session-signing private key`);
    const named = allContainers(pod.spec).filter((c) => (c.env ?? []).some((e) => e.name === PRIVATE_KEY));
    if (!isAuth) for (const c of named) problems.push(`${pod.owner} container ${c.name}: sets ${PRIVATE_KEY}`);
  }
  return problems;
}

/**
 * Problems with the metrics port of every pod Prometheus is told to scrape: its container must
 * declare a port named `metrics` equal to METRICS_PORT and to the scrape annotation, and no
 * Service selecting the pod may expose that port.
 */
export function metricsExposure(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  const servicesOf = objects.filter(isKind<Service>('Service'));
  for (const pod of podTemplates(objects)) {
    const annotations = pod.workload.spec?.template.metadata?.annotations ?? {};
    if (annotations['prometheus.io/scrape'] !== 'true') continue;
    const server = pod.spec.containers.find((c) => c.name === 'server');
    const declared = server?.ports?.find((p) => p.name === 'metrics');
    if (!server || !declared) {
      problems.push(`${pod.owner}: is scraped but declares no port named metrics`);
      continue;
    }
    const setting = envValues(objects, server)['METRICS_PORT'] ?? '9464';
    if (Number(setting) !== declared.containerPort) problems.push(`${pod.owner}: METRICS_PORT ${setting} is not its metrics port ${declared.containerPort}`);
    if (Number(annotations['prometheus.io/port']) !== declared.containerPort)
      problems.push(`${pod.owner}: Prometheus scrapes port ${annotations['prometheus.io/port']}, not its metrics port ${declared.containerPort}`);
    for (const service of servicesOf) {
      if (!service.spec?.selector || !selects({ matchLabels: service.spec.selector }, pod.labels)) continue;
      for (const p of service.spec.ports ?? []) {
        const target = p.targetPort ?? p.port;
        if (target === 'metrics' || target === declared.containerPort)
          problems.push(`Service/${service.metadata?.name}: port ${p.name ?? p.port} exposes ${pod.owner}'s metrics port`);
      }
    }
  }
  return problems;
}
