/**
 * One Kubernetes workload of the base manifests as an ECS task definition for Fargate (the
 * input of RegisterTaskDefinition). Pure: the rendered objects in, the task definitions out;
 * generate.ts renders the manifests and writes the files.
 *
 * What maps to what (README.md beside this file has the whole table):
 * - the pod's one container -> the one container definition; its image, ports, command and args;
 * - ConfigMap values -> `environment`; Secret keys -> `secrets`, one Secrets Manager secret per
 *   Kubernetes Secret (a JSON object of the same keys), referenced by key;
 * - the readiness probe -> `healthCheck` (the startup probe's budget as its startPeriod);
 * - terminationGracePeriodSeconds -> `stopTimeout`; resources -> container and task sizes;
 * - the security context -> user, read-only root filesystem, capabilities dropped;
 * - emptyDir -> a task volume on the task's ephemeral storage; a volumeClaimTemplate -> EFS.
 * The PostgreSQL StatefulSets get no task definition: each becomes a managed RDS instance.
 */
import type {
  ContainerDefinition,
  HealthCheck,
  KeyValuePair,
  PortMapping,
  RegisterTaskDefinitionCommandInput,
  Secret,
  Volume,
} from '@aws-sdk/client-ecs';
import type { Deployment, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { ConfigMap, Container, Probe } from 'kubernetes-types/core/v1.js';
import type { K8sObject } from '../kustomize.js';

type Workload = K8sObject & (Deployment | StatefulSet);

/** Stand-ins for what only an AWS account has; README.md says what to put in each. */
export const PLACEHOLDERS = {
  region: '<REGION>',
  account: '<ACCOUNT_ID>',
  registry: '<REGISTRY>',
  tag: '<TAG>',
  natsFileSystem: '<NATS_EFS_FILE_SYSTEM_ID>',
  natsAccessPoint: '<NATS_EFS_ACCESS_POINT_ID>',
} as const;

const P = PLACEHOLDERS;
export const FAMILY_PREFIX = 'ticketing-';
const LOG_GROUP = '/ecs/ticketing';

/** Fargate's task sizes: CPU units -> the memory sizes (MiB) allowed with it. */
export const FARGATE_SIZES: [number, number[]][] = [
  [256, [512, 1024, 2048]],
  [512, range(1024, 4096, 1024)],
  [1024, range(2048, 8192, 1024)],
  [2048, range(4096, 16384, 1024)],
  [4096, range(8192, 30720, 1024)],
];
/** Fargate's limit on stopTimeout, in seconds. */
export const FARGATE_MAX_STOP_TIMEOUT = 120;
/** ECS's limit on a health check's startPeriod, in seconds. */
export const ECS_MAX_START_PERIOD = 300;

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let n = from; n <= to; n += step) out.push(n);
  return out;
}

/** "100m" -> 102 CPU units (1024 per vCPU), "1" -> 1024. */
export function cpuUnits(q: string | number | undefined): number {
  if (q === undefined) return 0;
  const s = String(q);
  const cpus = s.endsWith('m') ? Number(s.slice(0, -1)) / 1000 : Number(s);
  return Math.round(cpus * 1024);
}

/** "320Mi" -> 320, "1Gi" -> 1024 (MiB, what ECS counts in). */
export function mebibytes(q: string | number | undefined): number {
  if (q === undefined) return 0;
  const m = String(q).match(/^(\d+)(Mi|Gi)$/);
  if (!m) throw new Error(`memory quantity ${q}: write it in Mi or Gi`);
  return Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1);
}

/**
 * The smallest Fargate size that guarantees the containers' CPU requests and holds their memory
 * limits. Fargate gives a task its whole size and no more: the size is both what Kubernetes
 * calls the request and the limit, so a container's CPU limit above it has no counterpart.
 */
export function fargateSize(cpuRequest: number, memoryLimit: number): { cpu: number; memory: number } {
  for (const [cpu, memories] of FARGATE_SIZES) {
    if (cpu < cpuRequest) continue;
    const memory = memories.find((m) => m >= memoryLimit);
    if (memory) return { cpu, memory };
  }
  throw new Error(`no Fargate size holds ${cpuRequest} CPU units and ${memoryLimit} MiB`);
}

/** The workloads that get a task definition: every Deployment and StatefulSet but PostgreSQL's. */
export function ecsWorkloads(objects: K8sObject[]): Workload[] {
  return objects
    .filter((o): o is Workload => o.kind === 'Deployment' || o.kind === 'StatefulSet')
    .filter((w) => !isManagedDatabase(w));
}

/** A PostgreSQL StatefulSet: on AWS a managed RDS instance, not a task. */
export const isManagedDatabase = (w: Workload) =>
  w.kind === 'StatefulSet' && (w.spec?.template.spec?.containers ?? []).some((c) => /^postgres:/.test(c.image ?? ''));

/** Our images come from the registry the deploy pushes to; others stay as the manifests pin them. */
function imageFor(name: string, image: string): string {
  if (image.startsWith('ticketing/')) return `${P.registry}/${image}:${P.tag}`;
  // The NATS server's configuration is a ConfigMap in Kubernetes; Fargate mounts no such thing,
  // so its files are built into an image of our own (infra/ecs/nats.Dockerfile).
  if (name === 'nats') return `${P.registry}/ticketing/nats:${P.tag}`;
  return image;
}

export const secretArn = (secret: string, key: string) =>
  `arn:aws:secretsmanager:${P.region}:${P.account}:secret:ticketing/${secret}:${key}::`;

/** The NKEY_<IDENTITY> variables the NATS configuration names (a secretRef takes them all in Kubernetes). */
export function natsUserKeys(objects: K8sObject[]): string[] {
  const config = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('nats-config')) as ConfigMap | undefined;
  const text = Object.values(config?.data ?? {}).join('\n');
  return [...new Set([...text.matchAll(/\$(NKEY_[A-Z0-9_]+)/g)].map((m) => m[1]!))].sort();
}

/** Values from ConfigMaps and literals go to `environment`, Secret keys to `secrets`. */
function environmentOf(objects: K8sObject[], c: Container): { environment: KeyValuePair[]; secrets: Secret[] } {
  const env = new Map<string, string>();
  const secrets = new Map<string, string>();
  for (const from of c.envFrom ?? []) {
    if (from.configMapRef) {
      const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === from.configMapRef!.name) as ConfigMap | undefined;
      if (!cm) throw new Error(`ConfigMap ${from.configMapRef.name} is not rendered`);
      for (const [k, v] of Object.entries(cm.data ?? {})) env.set(k, v);
    }
    // Only nats-users is read whole: its keys are the users nats.conf names.
    if (from.secretRef) for (const k of natsUserKeys(objects)) secrets.set(k, secretArn(from.secretRef.name!, k));
  }
  for (const e of c.env ?? []) {
    if (e.value !== undefined) env.set(e.name, e.value);
    else if (e.valueFrom?.secretKeyRef) secrets.set(e.name, secretArn(e.valueFrom.secretKeyRef.name!, e.valueFrom.secretKeyRef.key));
    else throw new Error(`env ${e.name}: only values and Secret keys are mapped`);
  }
  const byName = <T>(m: Map<string, string>, f: (k: string, v: string) => T) => [...m].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => f(k, v));
  return {
    environment: byName(env, (name, value) => ({ name, value })),
    secrets: byName(secrets, (name, valueFrom) => ({ name, valueFrom })),
  };
}

/** A probe as a command the container runs: our images have node (no curl or wget), Alpine's have wget. */
function probeCommand(c: Container, probe: Probe): string[] {
  if (probe.exec?.command) return ['CMD', ...probe.exec.command];
  const get = probe.httpGet;
  if (!get) throw new Error(`container ${c.name}: only exec and httpGet probes are mapped`);
  const port = typeof get.port === 'number' ? get.port : c.ports?.find((p) => p.name === get.port)?.containerPort;
  const url = `http://127.0.0.1:${port}${get.path ?? '/'}`;
  if (c.image?.startsWith('ticketing/'))
    return ['CMD', 'node', '-e', `fetch('${url}').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`];
  return ['CMD', 'wget', '-q', '-O', '/dev/null', url];
}

/** The readiness probe, with the startup probe's whole budget (period x failures) to start in. */
function healthCheckOf(c: Container): HealthCheck {
  const ready = c.readinessProbe;
  if (!ready) throw new Error(`container ${c.name}: no readiness probe to mirror`);
  const startup = c.startupProbe;
  const startBudget = startup ? (startup.periodSeconds ?? 10) * (startup.failureThreshold ?? 3) : (ready.initialDelaySeconds ?? 0);
  return {
    command: probeCommand(c, ready),
    interval: ready.periodSeconds ?? 10,
    timeout: ready.timeoutSeconds ?? 1,
    retries: ready.failureThreshold ?? 3,
    startPeriod: Math.min(startBudget, ECS_MAX_START_PERIOD),
  };
}

function portMappings(c: Container): PortMapping[] {
  return (c.ports ?? []).map((p) => ({
    name: p.name,
    containerPort: p.containerPort,
    protocol: 'tcp',
    ...(p.name === 'http' || p.name === 'monitor' || p.name === 'metrics' ? { appProtocol: 'http' as const } : {}),
  }));
}

export function taskDefinition(objects: K8sObject[], workload: Workload): RegisterTaskDefinitionCommandInput {
  const name = workload.metadata.name;
  const pod = workload.spec!.template.spec!;
  if (pod.containers.length !== 1 || (pod.initContainers ?? []).length > 0)
    throw new Error(`${workload.kind}/${name}: one container per pod is mapped, it has ${pod.containers.length}`);
  const c = pod.containers[0]!;
  const grace = pod.terminationGracePeriodSeconds ?? 30;
  if (grace > FARGATE_MAX_STOP_TIMEOUT) throw new Error(`${name}: grace period ${grace} s is over Fargate's ${FARGATE_MAX_STOP_TIMEOUT} s`);

  const claims = new Set(((workload as StatefulSet).spec?.volumeClaimTemplates ?? []).map((t) => t.metadata?.name));
  const volumes: Volume[] = [];
  const mountPoints = [];
  for (const m of c.volumeMounts ?? []) {
    const source = pod.volumes?.find((v) => v.name === m.name);
    // ConfigMap volumes are built into the image (see imageFor).
    if (source?.configMap) continue;
    if (claims.has(m.name)) {
      volumes.push({
        name: m.name,
        efsVolumeConfiguration: {
          fileSystemId: P.natsFileSystem,
          transitEncryption: 'ENABLED',
          authorizationConfig: { accessPointId: P.natsAccessPoint, iam: 'ENABLED' },
        },
      });
    } else if (source?.emptyDir) volumes.push({ name: m.name });
    else throw new Error(`${name}: volume ${m.name} is neither an emptyDir, a ConfigMap nor a claim`);
    mountPoints.push({ sourceVolume: m.name, containerPath: m.mountPath, readOnly: m.readOnly ?? false });
  }

  const requests = c.resources?.requests ?? {};
  const limits = c.resources?.limits ?? {};
  const size = fargateSize(cpuUnits(requests['cpu']), mebibytes(limits['memory']));
  const user = pod.securityContext?.runAsUser;
  const group = pod.securityContext?.runAsGroup;
  const { environment, secrets } = environmentOf(objects, c);

  const container: ContainerDefinition = {
    name: c.name,
    image: imageFor(name, c.image ?? ''),
    essential: true,
    ...(c.command ? { entryPoint: c.command } : {}),
    ...(c.args ? { command: c.args } : {}),
    portMappings: portMappings(c),
    environment,
    secrets,
    healthCheck: healthCheckOf(c),
    stopTimeout: grace,
    cpu: cpuUnits(requests['cpu']),
    memoryReservation: mebibytes(requests['memory']),
    memory: mebibytes(limits['memory']),
    ...(user !== undefined ? { user: group !== undefined ? `${user}:${group}` : String(user) } : {}),
    readonlyRootFilesystem: c.securityContext?.readOnlyRootFilesystem ?? false,
    linuxParameters: { capabilities: { drop: c.securityContext?.capabilities?.drop ?? [] } },
    mountPoints,
    logConfiguration: {
      logDriver: 'awslogs',
      options: { 'awslogs-group': LOG_GROUP, 'awslogs-region': P.region, 'awslogs-stream-prefix': name },
    },
  };
  return {
    family: FAMILY_PREFIX + name,
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    cpu: String(size.cpu),
    memory: String(size.memory),
    // Pulls the image, reads the secrets and writes the logs: ECS's, not the application's.
    executionRoleArn: `arn:aws:iam::${P.account}:role/ticketing-task-execution`,
    // The ServiceAccount's counterpart: the application's own AWS identity (it needs no AWS API).
    taskRoleArn: `arn:aws:iam::${P.account}:role/${FAMILY_PREFIX}${name}`,
    containerDefinitions: [container],
    ...(volumes.length > 0 ? { volumes } : {}),
  };
}

export const taskDefinitions = (objects: K8sObject[]) => ecsWorkloads(objects).map((w) => taskDefinition(objects, w));
