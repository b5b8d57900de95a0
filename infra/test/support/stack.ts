/**
 * The Swarm stack file (infra/swarm/stack.yaml): loaded by `docker stack config`, the loader
 * `docker stack deploy` uses (it runs offline, without a Swarm), then what it resolved to is
 * checked for what a deployment on several nodes needs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { readEnvFile } from './compose.js';
import { imageName, imageTag, isPinnedTag } from './k8s.js';
import { clientStaticRoutes, services as serviceNames } from './repo.js';

export const DOCKER_MISSING =
  'docker is not on the PATH. These checks load the stack file with `docker stack config`, which needs ' +
  'only the Docker CLI (no engine, no Swarm): https://docs.docker.com/engine/install/ (on Debian: `apt-get install docker.io`).';

type Env = Record<string, string>;
interface Resources {
  cpus?: string;
  memory?: string;
}
export interface StackService {
  image?: string;
  command?: string[];
  environment?: Env;
  labels?: Env;
  healthcheck?: { test?: string[]; disable?: boolean };
  secrets?: { source: string; target?: string }[];
  configs?: { source: string; target?: string }[];
  volumes?: { type: string; source?: string; target: string }[];
  networks?: Record<string, unknown>;
  ports?: { target: number; published?: number; mode?: string }[];
  read_only?: boolean;
  cap_drop?: string[];
  stop_grace_period?: string;
  deploy?: {
    replicas?: number;
    placement?: { constraints?: string[] };
    update_config?: { order?: string; failure_action?: string; parallelism?: number };
    rollback_config?: { order?: string };
    restart_policy?: { condition?: string };
    resources?: { limits?: Resources; reservations?: Resources };
  };
}
export interface StackConfig {
  services: Record<string, StackService>;
  networks?: Record<string, { driver?: string; external?: boolean } | null>;
  volumes?: Record<string, unknown>;
  secrets?: Record<string, { external?: boolean; file?: string; name?: string }>;
  configs?: Record<string, { file?: string; external?: boolean }>;
}

/** `docker stack config -c FILE` with `env` added: the resolved stack, or the loader's message. */
export function stackConfig(file: string, env: Env = {}): { config?: StackConfig; error?: string } {
  const result = spawnSync('docker', ['stack', 'config', '-c', file], { encoding: 'utf8', env: { ...process.env, ...env } });
  if (result.error) {
    if ((result.error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(DOCKER_MISSING);
    throw result.error;
  }
  if (result.status !== 0) return { error: result.stderr.trim() };
  return { config: parse(result.stdout) as StackConfig };
}

/** Seconds in a Go duration as the loader writes it (25s, 1m0s). */
function seconds(duration: string | undefined): number {
  if (!duration) return 0;
  let total = 0;
  for (const [, n, unit] of duration.matchAll(/([\d.]+)(h|ms|m|s)/g)) total += Number(n) * { h: 3600, m: 60, s: 1, ms: 0.001 }[unit!]!;
  return total;
}

export interface StackContext {
  /** The REGISTRY the stack was loaded with. */
  registry: string;
  /** Third-party images the Kubernetes manifests run (name -> image). */
  kubernetesImages: Map<string, string>;
  /** Seconds a service may take to shut down after SIGTERM. */
  shutdownSeconds: number;
}

const ours = (image: string) => /(^|\/)ticketing\/[a-z-]+(:|$)/.test(image);
const SECRETS = '/run/secrets/';

/**
 * What a deployment on several nodes needs, per service: an image from the registry (ours)
 * or pinned as in Kubernetes (others); replicas, a rolling update that rolls back, a restart
 * policy, resource limits and reservations; a health check on a route the service serves;
 * the overlay network; secrets that are external and mounted where the service reads them;
 * no bind mounts; named volumes only on tasks pinned to a node that a stop-first update
 * never runs twice; a stop grace period longer than the graceful shutdown; hardening.
 */
export function stackProblems(stack: StackConfig, ctx: StackContext): string[] {
  const problems: string[] = [];
  const overlays = new Set(Object.entries(stack.networks ?? {}).filter(([, n]) => n?.driver === 'overlay' || n?.external).map(([k]) => k));
  for (const [name, svc] of Object.entries(stack.services ?? {})) {
    const where = `stack service ${name}`;
    const image = svc.image ?? '';
    const workspace = image.match(/ticketing\/([a-z-]+)/)?.[1];
    if (ours(image)) {
      if (!image.startsWith(`${ctx.registry}/ticketing/`)) problems.push(`${where}: image ${image} is not from the registry (${ctx.registry})`);
      if (!imageTag(image)) problems.push(`${where}: image ${image} has no tag`);
    } else {
      const k8s = ctx.kubernetesImages.get(imageName(image));
      if (!isPinnedTag(imageTag(image))) problems.push(`${where}: image ${image} is not pinned to a release`);
      else if (k8s && k8s !== image) problems.push(`${where}: runs ${image}, Kubernetes runs ${k8s}`);
    }
    // Deploy settings.
    const deploy = svc.deploy ?? {};
    if (!deploy.replicas) problems.push(`${where}: no replicas`);
    if (!deploy.update_config?.order) problems.push(`${where}: no rolling update order (update_config.order)`);
    if (deploy.update_config?.failure_action !== 'rollback') problems.push(`${where}: a failed update does not roll back`);
    if (!deploy.restart_policy?.condition) problems.push(`${where}: no restart policy`);
    for (const kind of ['limits', 'reservations'] as const)
      if (!deploy.resources?.[kind]?.cpus || !deploy.resources?.[kind]?.memory) problems.push(`${where}: no cpus and memory ${kind}`);
    // State: named volumes stay on one node, and are never used by two tasks at once.
    const mounts = svc.volumes ?? [];
    for (const m of mounts) if (m.type === 'bind') problems.push(`${where}: bind-mounts ${m.source}, which every node would need`);
    const named = mounts.filter((m) => m.type === 'volume');
    for (const m of named) if (!(m.source! in (stack.volumes ?? {}))) problems.push(`${where}: volume ${m.source} is not declared`);
    if (named.length > 0) {
      if (!(deploy.placement?.constraints ?? []).some((c) => /^node\.(labels\.|hostname|id)/.test(c)))
        problems.push(`${where}: keeps data in a volume but may be scheduled on any node`);
      if (deploy.replicas !== 1) problems.push(`${where}: keeps data in a volume but runs ${deploy.replicas} replicas`);
      if (deploy.update_config?.order !== 'stop-first') problems.push(`${where}: keeps data in a volume but starts the new task before stopping the old one`);
    } else if (ours(image) && deploy.update_config?.order !== 'start-first')
      problems.push(`${where}: an update stops the old task before the new one is healthy (order start-first)`);
    // Health checks on what the service serves.
    const test = (svc.healthcheck?.test ?? []).join(' ');
    if (!test || svc.healthcheck?.disable) problems.push(`${where}: has no health check`);
    const path = test.match(/https?:\/\/(?:127\.0\.0\.1|localhost):\d+(\/[^'"\s)]*)/)?.[1];
    if (path && workspace) {
      const known = serviceNames().includes(workspace) ? ['/readyz'] : workspace === 'client' ? clientStaticRoutes() : [];
      if (!known.includes(path)) problems.push(`${where}: health check asks ${path}, which it does not serve (${known.join(', ')})`);
    }
    // The network.
    const nets = Object.keys(svc.networks ?? {});
    if (!nets.some((n) => overlays.has(n))) problems.push(`${where}: is on no overlay network`);
    // Secrets: external, and mounted where the service reads them.
    const targets = new Set<string>();
    for (const s of svc.secrets ?? []) {
      const declared = stack.secrets?.[s.source];
      if (!declared) problems.push(`${where}: secret ${s.source} is not declared`);
      else if (!declared.external) problems.push(`${where}: secret ${s.source} comes from a file in the repository, not from the Swarm`);
      targets.add(SECRETS + (s.target ?? s.source));
    }
    const reads = [
      ...(svc.command ?? []).flatMap((a) => a.match(/^--env-file(?:-if-exists)?=(.+)$/)?.[1] ?? []),
      ...Object.entries(svc.environment ?? {}).filter(([k]) => k.endsWith('_FILE')).map(([, v]) => v),
    ];
    for (const file of reads) if (!targets.has(file)) problems.push(`${where}: reads ${file}, which no secret is mounted at`);
    for (const [k, v] of Object.entries(svc.environment ?? {}))
      if (/PASSWORD$|PRIVATE_KEY$|^DATABASE_URL$/.test(k) && v) problems.push(`${where}: ${k} is in the environment, not a secret`);
    // Shutdown and hardening for our containers and the front door.
    if (ours(image) && serviceNames().includes(workspace!) && seconds(svc.stop_grace_period) <= ctx.shutdownSeconds)
      problems.push(`${where}: stop_grace_period ${svc.stop_grace_period ?? '10s (default)'} is not longer than the ${ctx.shutdownSeconds} s shutdown`);
    if (ours(image) || imageName(image) === 'nginx') {
      if (svc.read_only !== true) problems.push(`${where}: root filesystem is not read-only`);
      if (!(svc.cap_drop ?? []).includes('ALL')) problems.push(`${where}: does not drop all capabilities`);
    }
  }
  for (const [name, c] of Object.entries(stack.configs ?? {}))
    if (c.file && !existsSync(c.file)) problems.push(`config ${name}: file ${c.file} does not exist`);
  return problems;
}

/** The files each stack secret stands for, as make-dev-secrets.sh writes them (ticketing-auth-db -> auth-db.env). */
export function devSecretFile(secretName: string, secretsDir: string): string | undefined {
  const file = join(secretsDir, `${secretName.replace(/^ticketing-/, '')}.env`);
  return existsSync(file) ? file : undefined;
}

/** The environment a service's process gets: `environment`, then each `--env-file` secret it reads (from dev secrets). */
export function serviceEnv(stack: StackConfig, name: string, secretsDir: string): Env {
  const svc = stack.services[name]!;
  const env: Env = {};
  for (const arg of svc.command ?? []) {
    const file = arg.match(/^--env-file=(.+)$/)?.[1];
    const mounted = svc.secrets?.find((s) => SECRETS + (s.target ?? s.source) === file);
    const secretName = mounted && (stack.secrets?.[mounted.source]?.name ?? mounted.source);
    const path = secretName && devSecretFile(secretName, secretsDir);
    if (path) Object.assign(env, readEnvFile(path));
  }
  // Variables already in the environment win over env files (node's --env-file rule).
  return { ...env, ...(svc.environment ?? {}) };
}
