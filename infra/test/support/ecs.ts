/**
 * The ECS task definitions (infra/ecs/task-definitions/) checked against the rendered base
 * manifests, with this folder's own readers of the manifests (effectiveEnv, podTemplates), not
 * with the generator's code: a mapping mistake in the generator shows here as a disagreement.
 * Also the limits ECS and Fargate put on the values, which no type says.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RegisterTaskDefinitionCommandInput } from '@aws-sdk/client-ecs';
import type { Container, Probe } from 'kubernetes-types/core/v1.js';
import { bytesOf, cpuOf } from './capacity.js';
import { effectiveEnv, podTemplates, type PodTemplate } from './k8s.js';
import type { K8sObject } from './kustomize.js';
import { repoRoot } from './repo.js';

export type TaskDefinition = RegisterTaskDefinitionCommandInput;

/** <workload>.json -> its task definition, for every file in a folder. */
export function loadTaskDefinitions(dir: string): Map<string, TaskDefinition> {
  return new Map(
    readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => [f.slice(0, -'.json'.length), JSON.parse(readFileSync(join(dir, f), 'utf8')) as TaskDefinition]),
  );
}

/** Fargate's task sizes (CPU units -> allowed memory in MiB), from the ECS developer guide. */
const FARGATE: Record<string, (m: number) => boolean> = {
  '256': (m) => [512, 1024, 2048].includes(m),
  '512': (m) => m >= 1024 && m <= 4096 && m % 1024 === 0,
  '1024': (m) => m >= 2048 && m <= 8192 && m % 1024 === 0,
  '2048': (m) => m >= 4096 && m <= 16384 && m % 1024 === 0,
  '4096': (m) => m >= 8192 && m <= 30720 && m % 1024 === 0,
};

const MiB = 2 ** 20;
const isPostgres = (pod: PodTemplate) => pod.spec.containers.some((c) => /^postgres:/.test(c.image ?? ''));

/** The workloads that must have a task definition: all but the PostgreSQL StatefulSets (RDS on AWS). */
export const ecsPods = (objects: K8sObject[]) => podTemplates(objects).filter((p) => !isPostgres(p));

/** The image a task must run for a container: ours from the registry, NATS with its configuration built in, others as pinned. */
function expectedImage(workload: string, image: string): string {
  if (image.startsWith('ticketing/')) return `<REGISTRY>/${image}:<TAG>`;
  if (workload === 'nats') return '<REGISTRY>/ticketing/nats:<TAG>';
  return image;
}

function probePath(c: Container, probe: Probe): { url?: string; exec?: string[] } {
  if (probe.exec?.command) return { exec: probe.exec.command };
  const get = probe.httpGet!;
  const port = typeof get.port === 'number' ? get.port : c.ports?.find((p) => p.name === get.port)?.containerPort;
  return { url: `http://127.0.0.1:${port}${get.path}` };
}

const SECRET_ARN = /^arn:aws:secretsmanager:<REGION>:<ACCOUNT_ID>:secret:ticketing\/([a-z0-9-]+):([A-Z0-9_]+)::$/;

/** Problems: a workload without its task definition, or one that disagrees with its pod. */
export function ecsProblems(objects: K8sObject[], defs: Map<string, TaskDefinition>, natsUsers: string[]): string[] {
  const problems: string[] = [];
  const pods = ecsPods(objects);
  for (const name of defs.keys())
    if (!pods.some((p) => p.workload.metadata.name === name)) problems.push(`${name}.json: no such workload in the manifests`);
  for (const pod of pods) {
    const name = pod.workload.metadata.name;
    const def = defs.get(name);
    if (!def) {
      problems.push(`${pod.owner}: no task definition (${name}.json)`);
      continue;
    }
    const where = `${name}.json`;
    const c = pod.spec.containers[0]!;
    const cd = def.containerDefinitions?.find((x) => x.name === c.name);
    if (def.family !== `ticketing-${name}`) problems.push(`${where}: family ${def.family}, not ticketing-${name}`);
    if (def.networkMode !== 'awsvpc' || !def.requiresCompatibilities?.includes('FARGATE'))
      problems.push(`${where}: not a Fargate task (networkMode awsvpc, requiresCompatibilities FARGATE)`);
    if (!cd) {
      problems.push(`${where}: no container named ${c.name}`);
      continue;
    }
    if (cd.image !== expectedImage(name, c.image ?? '')) problems.push(`${where}: image ${cd.image}, the manifests run ${c.image}`);

    // Ports, by name and number.
    const ports = (list: { name?: string; containerPort?: number }[]) => list.map((p) => `${p.name}:${p.containerPort}`).sort().join(', ');
    if (ports(cd.portMappings ?? []) !== ports(c.ports ?? [])) problems.push(`${where}: ports ${ports(cd.portMappings ?? [])}, the pod declares ${ports(c.ports ?? [])}`);

    // Environment: the same names; values as the pod gets them; secrets only from secrets.
    const podEnv = effectiveEnv(objects, c);
    for (const from of c.envFrom ?? [])
      if (from.secretRef) for (const k of natsUsers) podEnv.set(k, { kind: 'secret', name: from.secretRef.name ?? '', key: k, optional: false });
    const plain = new Map((cd.environment ?? []).map((e) => [e.name!, e.value!]));
    const secret = new Map((cd.secrets ?? []).map((s) => [s.name!, s.valueFrom!]));
    for (const [k, src] of podEnv) {
      if (src.kind === 'secret') {
        const ref = secret.get(k)?.match(SECRET_ARN);
        if (plain.has(k)) problems.push(`${where}: ${k} is in the environment, the pod takes it from Secret ${src.name}`);
        else if (!ref) problems.push(`${where}: ${k} is not a secret (the pod takes it from Secret ${src.name})`);
        else if (ref[1] !== src.name || ref[2] !== src.key) problems.push(`${where}: ${k} comes from ${ref[1]}:${ref[2]}, the pod's from ${src.name}:${src.key}`);
      } else if (src.kind === 'value' || src.kind === 'configMap') {
        if (!plain.has(k)) problems.push(`${where}: ${k} is missing from the environment`);
        else if (plain.get(k) !== src.value) problems.push(`${where}: ${k}=${plain.get(k)}, the pod has ${src.value}`);
      }
    }
    for (const k of [...plain.keys(), ...secret.keys()]) if (!podEnv.has(k)) problems.push(`${where}: ${k} is not in the pod's environment`);

    // The readiness probe as the health check.
    const ready = c.readinessProbe;
    const hc = cd.healthCheck;
    if (!ready || !hc) problems.push(`${where}: ${hc ? 'the pod has no readiness probe' : 'no health check'}`);
    else {
      const probe = probePath(c, ready);
      const command = (hc.command ?? []).join(' ');
      if (probe.url && !command.includes(probe.url)) problems.push(`${where}: health check runs "${command}", the readiness probe asks ${probe.url}`);
      if (probe.exec && command !== ['CMD', ...probe.exec].join(' ')) problems.push(`${where}: health check runs "${command}", the readiness probe runs "${probe.exec.join(' ')}"`);
      const want = { interval: ready.periodSeconds ?? 10, timeout: ready.timeoutSeconds ?? 1, retries: ready.failureThreshold ?? 3 };
      for (const [k, v] of Object.entries(want))
        if (hc[k as keyof typeof want] !== v) problems.push(`${where}: health check ${k} ${hc[k as keyof typeof want]}, the readiness probe's is ${v}`);
      const s = c.startupProbe;
      const budget = Math.min(300, s ? (s.periodSeconds ?? 10) * (s.failureThreshold ?? 3) : 0);
      if (hc.startPeriod !== budget) problems.push(`${where}: health check startPeriod ${hc.startPeriod}, the startup probe allows ${budget} s`);
    }

    // Shutdown.
    const grace = pod.spec.terminationGracePeriodSeconds ?? 30;
    if (cd.stopTimeout !== grace) problems.push(`${where}: stopTimeout ${cd.stopTimeout ?? '30 (default)'}, the pod's grace period is ${grace} s`);

    // Sizes: the container's as the pod's; the task's a Fargate size that holds them.
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    const want = { cpu: Math.round(cpuOf(req['cpu']) * 1024), memoryReservation: bytesOf(req['memory']) / MiB, memory: bytesOf(lim['memory']) / MiB };
    for (const [k, v] of Object.entries(want))
      if (cd[k as keyof typeof want] !== v) problems.push(`${where}: container ${k} ${cd[k as keyof typeof want]}, the pod's is ${v}`);
    const taskCpu = Number(def.cpu);
    const taskMemory = Number(def.memory);
    if (!FARGATE[def.cpu ?? '']?.(taskMemory)) problems.push(`${where}: cpu ${def.cpu} with memory ${def.memory} is not a Fargate task size`);
    if (taskCpu < want.cpu || taskMemory < want.memory) problems.push(`${where}: task size ${def.cpu}/${def.memory} is smaller than its container's ${want.cpu}/${want.memory}`);

    // Storage: each mount on a declared volume; a claim's on EFS.
    const claims = new Set(((pod.workload.spec as { volumeClaimTemplates?: { metadata?: { name?: string } }[] }).volumeClaimTemplates ?? []).map((t) => t.metadata?.name));
    for (const m of c.volumeMounts ?? []) {
      if (pod.spec.volumes?.find((v) => v.name === m.name)?.configMap) continue; // built into the image
      const mount = cd.mountPoints?.find((p) => p.containerPath === m.mountPath);
      const volume = def.volumes?.find((v) => v.name === mount?.sourceVolume);
      if (!mount || !volume) problems.push(`${where}: nothing mounted at ${m.mountPath}`);
      else if (claims.has(m.name) && !volume.efsVolumeConfiguration) problems.push(`${where}: ${m.mountPath} holds the claim ${m.name}, but is not on EFS`);
    }

    // Hardening, as the pod's.
    const sc = pod.spec.securityContext;
    if (sc?.runAsUser !== undefined && cd.user !== `${sc.runAsUser}:${sc.runAsGroup}`) problems.push(`${where}: runs as ${cd.user ?? 'the image user'}, the pod as ${sc.runAsUser}:${sc.runAsGroup}`);
    if (c.securityContext?.readOnlyRootFilesystem && cd.readonlyRootFilesystem !== true) problems.push(`${where}: root filesystem is writable`);
    if (c.securityContext?.capabilities?.drop?.includes('ALL') && !cd.linuxParameters?.capabilities?.drop?.includes('ALL')) problems.push(`${where}: does not drop all capabilities`);
    if (cd.logConfiguration?.logDriver !== 'awslogs') problems.push(`${where}: logs do not go to CloudWatch (awslogs)`);
  }
  return problems;
}

/** The ranges ECS and Fargate accept, which the SDK's types (plain numbers) do not say. */
export function ecsLimitProblems(defs: Map<string, TaskDefinition>): string[] {
  const problems: string[] = [];
  const within = (where: string, what: string, v: number | undefined, lo: number, hi: number) => {
    if (v !== undefined && (v < lo || v > hi)) problems.push(`${where}: ${what} ${v} is outside ${lo}-${hi}`);
  };
  for (const [name, def] of defs)
    for (const cd of def.containerDefinitions ?? []) {
      const where = `${name}.json ${cd.name}`;
      within(where, 'healthCheck.interval', cd.healthCheck?.interval, 5, 300);
      within(where, 'healthCheck.timeout', cd.healthCheck?.timeout, 2, 120);
      within(where, 'healthCheck.retries', cd.healthCheck?.retries, 1, 10);
      within(where, 'healthCheck.startPeriod', cd.healthCheck?.startPeriod, 0, 300);
      within(where, 'stopTimeout (Fargate)', cd.stopTimeout, 2, 120);
      if (cd.healthCheck && cd.healthCheck.command?.[0] !== 'CMD' && cd.healthCheck.command?.[0] !== 'CMD-SHELL')
        problems.push(`${where}: healthCheck.command starts with ${cd.healthCheck.command?.[0]}, not CMD or CMD-SHELL`);
    }
  return problems;
}

/**
 * Each task definition typed as RegisterTaskDefinitionCommandInput (the AWS SDK's own type of
 * the API's input) in one tsc run: a misspelled or unknown field, a value of the wrong type
 * or an unknown enum value (networkMode, protocol, logDriver...) fails to compile.
 */
export function ecsTypeProblems(defs: Map<string, unknown>): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'ticketing-ecs-types-'));
  try {
    const owners: { line: number; name: string }[] = [];
    const lines = ["import type { RegisterTaskDefinitionCommandInput as T } from '@aws-sdk/client-ecs';"];
    for (const [name, def] of defs) {
      owners.push({ line: lines.length + 1, name });
      lines.push(...`export const t${owners.length}: T = ${JSON.stringify(def, null, 2)};`.split('\n'));
    }
    writeFileSync(join(dir, 'defs.ts'), lines.join('\n') + '\n');
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true, noEmit: true, target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler',
          types: [], skipLibCheck: true, lib: ['ES2022', 'DOM'],
          paths: { '@aws-sdk/client-ecs': [join(repoRoot, 'node_modules', '@aws-sdk', 'client-ecs')] },
        },
        files: ['defs.ts'],
      }),
    );
    const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = spawnSync(process.execPath, [tsc, '-p', dir, '--pretty', 'false'], { encoding: 'utf8' });
    if (result.status === 0) return [];
    const problems = [...result.stdout.matchAll(/defs\.ts\((\d+),\d+\): (error TS\d+: .*)$/gm)].map((m) => {
      const owner = owners.filter((o) => o.line <= Number(m[1])).at(-1);
      return `${owner?.name ?? 'imports'}.json: ${m[2]}`;
    });
    return problems.length > 0 ? problems : [`tsc failed: ${result.stdout}${result.stderr}`];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The NATS image for platforms without ConfigMaps (infra/ecs/nats.Dockerfile): built FROM the
 * image the StatefulSet runs, with every file of the nats-config ConfigMap (the base
 * kustomization's configMapGenerator) copied where the pod mounts it.
 */
export function natsImageProblems(dockerfile: string, objects: K8sObject[], kustomization: { configMapGenerator?: { name: string; files?: string[] }[] }): string[] {
  const problems: string[] = [];
  const pod = podTemplates(objects).find((p) => p.workload.metadata.name === 'nats')!;
  const c = pod.spec.containers[0]!;
  const from = dockerfile.match(/^FROM\s+(\S+)/m)?.[1];
  if (from !== c.image) problems.push(`nats image: FROM ${from}, the StatefulSet runs ${c.image}`);
  const configVolume = pod.spec.volumes?.find((v) => v.configMap)?.name;
  const mountPath = c.volumeMounts?.find((m) => m.name === configVolume)?.mountPath;
  const copies = new Map([...dockerfile.matchAll(/^COPY\s+(\S+)\s+(\S+)/gm)].map((m) => [m[2]!, m[1]!]));
  const files = kustomization.configMapGenerator?.find((g) => g.name === 'nats-config')?.files ?? [];
  for (const entry of files) {
    const [key, path] = entry.includes('=') ? entry.split('=') : [entry, entry];
    const target = `${mountPath}/${key}`;
    if (copies.get(target) !== path) problems.push(`nats image: ${target} should be ${path}, is ${copies.get(target) ?? 'not copied'}`);
  }
  return problems;
}
