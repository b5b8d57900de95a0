/**
 * The Render Blueprint (infra/render/render.yaml) checked against the rendered base manifests:
 * a service, disk or database for every workload, the same images, environment and secrets,
 * addresses as Render references, sizes, grace periods and health checks, and the front door's
 * routes; and against the hand-transcribed schema of the Blueprint fields it uses.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { bytesOf, cpuOf } from './capacity.js';
import { frontDoorRoutes } from './compose.js';
import { effectiveEnv, imageTag, podTemplates, services as k8sServices } from './k8s.js';
import type { K8sObject } from './kustomize.js';
import { repoRoot } from './repo.js';

interface EnvVar {
  key?: string;
  value?: string;
  sync?: false;
  generateValue?: true;
  fromDatabase?: { name: string; property: string };
  fromService?: { type: string; name: string; property?: string };
  fromGroup?: string;
}
export interface RenderService {
  type: string;
  name: string;
  runtime: string;
  plan?: string;
  image?: { url: string };
  dockerfilePath?: string;
  dockerContext?: string;
  dockerCommand?: string;
  healthCheckPath?: string;
  maxShutdownDelaySeconds?: number;
  disk?: { name: string; mountPath: string; sizeGB?: number };
  envVars?: EnvVar[];
}
export interface Blueprint {
  services: RenderService[];
  databases?: { name: string; databaseName?: string; user?: string; postgresMajorVersion?: string }[];
  envVarGroups?: { name: string; envVars: EnvVar[] }[];
}

export const loadBlueprint = (path: string) => parse(readFileSync(path, 'utf8')) as Blueprint;

/** Against infra/render/blueprint.schema.json: ajv's messages, with where they point. */
export function blueprintSchemaProblems(blueprint: unknown): string[] {
  const schema = JSON.parse(readFileSync(join(repoRoot, 'infra', 'render', 'blueprint.schema.json'), 'utf8'));
  const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
  if (validate(blueprint)) return [];
  // oneOf reports every branch; the deepest messages say what is wrong.
  return [...new Set((validate.errors ?? []).filter((e) => e.keyword !== 'oneOf').map((e) => `${e.instancePath || '/'}: ${e.message}${e.params && 'additionalProperty' in e.params ? ` (${e.params.additionalProperty})` : ''}`))];
}

/** Render's instance types: CPUs and memory (MiB), from its pricing page. */
const PLANS: Record<string, { cpu: number; memory: number }> = {
  starter: { cpu: 0.5, memory: 512 },
  standard: { cpu: 1, memory: 2048 },
  pro: { cpu: 2, memory: 4096 },
};
/** Ports Render keeps for itself on the private network. */
const RESERVED_PORTS = [10000, 18012, 18013, 19099];

/** What a service's process gets: its own variables, its groups', and those its command exports. */
export function renderEnv(blueprint: Blueprint, svc: RenderService): Map<string, EnvVar & { exported?: string }> {
  const env = new Map<string, EnvVar & { exported?: string }>();
  for (const e of svc.envVars ?? []) {
    if (e.fromGroup) for (const g of blueprint.envVarGroups?.find((x) => x.name === e.fromGroup)?.envVars ?? []) env.set(g.key!, g);
    else env.set(e.key!, e);
  }
  for (const m of (svc.dockerCommand ?? '').matchAll(/\b([A-Z_]+)="([^"]*)"/g)) env.set(m[1]!, { key: m[1]!, exported: m[2]! });
  return env;
}

/** The k8s Service an in-cluster address names (http://auth:3000, nats://nats:4222), if any. */
function addressOf(objects: K8sObject[], value: string | undefined): string | undefined {
  const host = value?.match(/^[a-z]+:\/\/([a-z0-9-]+):\d+$/)?.[1];
  return k8sServices(objects).some((s) => s.metadata.name === host) ? host : undefined;
}

export function renderProblems(objects: K8sObject[], blueprint: Blueprint): string[] {
  const problems: string[] = [];
  const byName = new Map(blueprint.services.map((s) => [s.name, s]));
  const pods = podTemplates(objects);
  const workloads = new Set(pods.map((p) => p.workload.metadata.name));
  for (const s of blueprint.services)
    if (s.type !== 'web' && !workloads.has(s.name)) problems.push(`render service ${s.name}: no such workload in the manifests`);
  for (const pod of pods) {
    const name = pod.workload.metadata.name;
    const c = pod.spec.containers[0]!;
    if (/^postgres:/.test(c.image ?? '')) {
      const db = blueprint.databases?.find((d) => d.name === name);
      const env = effectiveEnv(objects, c);
      const want = { databaseName: env.get('POSTGRES_DB'), user: env.get('POSTGRES_USER') };
      if (!db) problems.push(`${pod.owner}: no Render database ${name}`);
      else {
        for (const [k, src] of Object.entries(want))
          if (src?.kind === 'value' && db[k as keyof typeof want] !== src.value) problems.push(`render database ${name}: ${k} ${db[k as keyof typeof want]}, the StatefulSet's is ${src.value}`);
        const major = imageTag(c.image ?? '')?.split('.')[0];
        if (db.postgresMajorVersion !== major) problems.push(`render database ${name}: PostgreSQL ${db.postgresMajorVersion}, the StatefulSet runs ${major}`);
      }
      continue;
    }
    const svc = byName.get(name);
    const where = `render service ${name}`;
    if (!svc) {
      problems.push(`${pod.owner}: no Render service ${name}`);
      continue;
    }
    if (svc.type !== 'pserv') problems.push(`${where}: is ${svc.type}, not a private service (only the front door is public)`);
    // Images: ours as .github/workflows/images.yml pushes them; NATS with its configuration built in.
    const ours = c.image?.match(/^ticketing\/([a-z-]+)$/)?.[1];
    if (ours && svc.image?.url !== `ghcr.io/<OWNER>/ticketing-${ours}:<TAG>`) problems.push(`${where}: image ${svc.image?.url ?? '(built)'}, the manifests run ${c.image}`);
    if (!ours && svc.dockerfilePath !== './infra/ecs/nats.Dockerfile') problems.push(`${where}: not built from infra/ecs/nats.Dockerfile`);

    // Environment: the same names; secrets never as values; addresses as Render references.
    const podEnv = effectiveEnv(objects, c);
    for (const from of c.envFrom ?? [])
      if (from.secretRef) for (const k of renderEnv(blueprint, svc).keys()) if (k.startsWith('NKEY_')) podEnv.set(k, { kind: 'secret', name: from.secretRef.name ?? '', key: k, optional: false });
    const env = renderEnv(blueprint, svc);
    const hostports = new Map([...env].filter(([, e]) => e.fromService?.property === 'hostport').map(([k, e]) => [k, e.fromService!.name]));
    for (const [k, src] of podEnv) {
      const e = env.get(k);
      if (!e) {
        problems.push(`${where}: ${k} is not set`);
        continue;
      }
      if (src.kind === 'secret') {
        const db = src.name.match(/^([a-z]+)-db$/)?.[1];
        if (k === 'DATABASE_URL' && db) {
          if (e.fromDatabase?.name !== `${db}-postgres` || e.fromDatabase.property !== 'connectionString')
            problems.push(`${where}: DATABASE_URL is not the connection string of database ${db}-postgres`);
        } else if (e.sync !== false) problems.push(`${where}: ${k} is ${e.value !== undefined ? 'a value in the Blueprint' : 'not asked for'}, the pod takes it from Secret ${src.name}`);
        continue;
      }
      if (src.kind === 'other') continue;
      const target = addressOf(objects, src.value);
      if (target) {
        const ref = e.fromService ?? (e.exported ? { name: hostports.get(e.exported.match(/^http:\/\/\$([A-Z_]+)$/)?.[1] ?? ''), property: 'hostport' } : undefined);
        if (ref?.name !== target || ref.property !== 'hostport') problems.push(`${where}: ${k} does not reach ${target} (${src.value} in the manifests)`);
      } else if (e.value !== src.value) problems.push(`${where}: ${k}=${e.value}, the pod has ${src.value}`);
    }
    const used = new Set([...podEnv.keys(), ...[...env].filter(([, e]) => e.fromService).map(([k]) => k)]);
    for (const k of env.keys()) if (!used.has(k)) problems.push(`${where}: ${k} is not in the pod's environment`);
    const port = Number(env.get('PORT')?.value ?? c.ports?.[0]?.containerPort);
    if (RESERVED_PORTS.includes(port)) problems.push(`${where}: port ${port} is reserved by Render`);

    // Health: Render asks private services over TCP only.
    if (svc.healthCheckPath) problems.push(`${where}: healthCheckPath ${svc.healthCheckPath}, but Render checks private services over TCP only`);
    // Size: the plan guarantees the request and holds the memory limit.
    const plan = PLANS[svc.plan ?? 'starter'];
    const cpu = cpuOf(c.resources?.requests?.['cpu']);
    const memory = bytesOf(c.resources?.limits?.['memory']) / 2 ** 20;
    if (!plan || plan.cpu < cpu || plan.memory < memory) problems.push(`${where}: plan ${svc.plan} is smaller than ${cpu} CPU and ${memory} MiB`);
    // Storage and shutdown: a claim is a disk; a service with a disk has Render's fixed shutdown delay.
    const claims = ((pod.workload.spec as { volumeClaimTemplates?: { metadata?: { name?: string }; spec?: { resources?: { requests?: { storage?: string } } } }[] }).volumeClaimTemplates ?? []);
    const grace = pod.spec.terminationGracePeriodSeconds ?? 30;
    for (const claim of claims) {
      const mountPath = c.volumeMounts?.find((m) => m.name === claim.metadata?.name)?.mountPath;
      const gib = bytesOf(claim.spec?.resources?.requests?.storage) / 2 ** 30;
      const disk = svc.disk;
      if (!disk || disk.mountPath !== mountPath) problems.push(`${where}: no disk at ${mountPath} (claim ${claim.metadata?.name})`);
      else if ((disk.sizeGB ?? 1) < gib) problems.push(`${where}: disk of ${disk.sizeGB ?? 1} GB, the claim asks ${gib} GiB`);
    }
    if (svc.disk && svc.maxShutdownDelaySeconds !== undefined) problems.push(`${where}: maxShutdownDelaySeconds is not accepted on a service with a disk`);
    if (!svc.disk && svc.maxShutdownDelaySeconds !== grace) problems.push(`${where}: maxShutdownDelaySeconds ${svc.maxShutdownDelaySeconds ?? '30 (default)'}, the pod's grace period is ${grace} s`);
  }
  return problems;
}

interface Route {
  path: string;
  backend: string;
}

/**
 * The one public service: a web service whose nginx.conf, as its Dockerfile rewrites it, sends
 * each HTTPRoute path to a variable that Render fills with that backend's address, and whose
 * health check asks a path nginx answers itself.
 */
export function frontDoorProblems(blueprint: Blueprint, routes: Route[], dockerfile: string, nginxConf: string): string[] {
  const problems: string[] = [];
  const web = blueprint.services.filter((s) => s.type === 'web');
  if (web.length !== 1) return [`${web.length} public (web) services; the front door should be the only one`];
  const door = web[0]!;
  let conf = nginxConf;
  for (const m of dockerfile.matchAll(/-e 's#([^#]+)#([^#]+)#'/g)) conf = conf.split(m[1]!).join(m[2]!);
  const upstreams = frontDoorRoutes(conf);
  const env = renderEnv(blueprint, door);
  for (const { path, backend } of routes) {
    const variable = upstreams.get(path)?.match(/^\$\{([A-Z_]+)\}$/)?.[1];
    const ref = variable ? env.get(variable)?.fromService : undefined;
    if (!variable) problems.push(`front door: ${path} goes to ${upstreams.get(path) ?? 'nothing'}, not to a Render address`);
    else if (ref?.name !== backend || ref.property !== 'hostport') problems.push(`front door: ${path} goes to ${variable}, which is ${ref ? `${ref.name}'s ${ref.property}` : 'not set'}, not ${backend}'s address`);
  }
  const answered = [...nginxConf.matchAll(/location\s*=\s*(\/\S*)\s*\{[^}]*return 200/g)].map((m) => m[1]);
  if (!door.healthCheckPath || !answered.includes(door.healthCheckPath))
    problems.push(`front door: health check ${door.healthCheckPath ?? '(none)'} is not a path nginx answers itself (${answered.join(', ')})`);
  return problems;
}
