/**
 * compose.yaml, parsed as Docker Compose reads it (YAML merge keys, env files, ${VAR:-default}
 * interpolation from an empty shell), and checked for the same cross-references as the
 * Kubernetes manifests. There is no Docker engine here, so `docker compose config` cannot run.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import { parse } from 'yaml';
import { buildArgProblems, dockerfileStages, parseDockerfile } from './dockerfile.js';
import { effectiveEnv, find, imageName, imageTag, isPinnedTag, parseUrl, podTemplates } from './k8s.js';
import type { K8sObject } from './kustomize.js';
import { healthRoutes, clientStaticRoutes, services as serviceNames } from './repo.js';
import { describeBuild, type Artifact } from './skaffold.js';

type Env = Record<string, string>;
export interface ComposeService {
  image?: string;
  build?: { context?: string; dockerfile?: string; target?: string; args?: Record<string, string> | string[] } | string;
  command?: string[] | string;
  entrypoint?: string[] | string;
  environment?: Env | string[];
  env_file?: (string | { path: string; required?: boolean })[] | string;
  depends_on?: Record<string, { condition?: string }> | string[];
  healthcheck?: { test?: string[] | string; disable?: boolean };
  volumes?: string[];
  ports?: (string | number)[];
  user?: string;
  read_only?: boolean;
  cap_drop?: string[];
  security_opt?: string[];
}
export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

export const loadCompose = (path: string) => parse(readFileSync(path, 'utf8'), { merge: true }) as ComposeFile;

/** Compose interpolation with an empty shell environment: ${X:-d} -> d, ${X} -> '', $$ -> $. */
export function interpolate(value: string): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}/g, (m, _name, dflt: string | undefined) =>
    m === '$$' ? '$' : (dflt ?? ''),
  );
}

/** A .env file as Compose and kustomize read it: KEY=VALUE lines, comments and blanks skipped. */
export function readEnvFile(path: string): Env {
  const env: Env = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim() || line.trim().startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq > 0) env[line.slice(0, eq).trim()] = line.slice(eq + 1);
  }
  return env;
}

export interface ComposeContext {
  root: string;
  /** Where env_file paths under infra/k8s/overlays/dev/secrets/ really are (generated in a scratch copy). */
  secretsDir: string;
  artifacts: Artifact[];
  /** Third-party images the Kubernetes manifests run (name -> image). */
  kubernetesImages: Map<string, string>;
}

/** The third-party images (not ticketing/*) that rendered Kubernetes objects run: name -> image. */
export function kubernetesImages(objects: K8sObject[]): Map<string, string> {
  return new Map(
    podTemplates(objects)
      .flatMap((p) => p.spec.containers.map((c) => c.image ?? ''))
      .filter((i) => !i.startsWith('ticketing/'))
      .map((i) => [imageName(i), i]),
  );
}

const SECRETS_PREFIX = 'infra/k8s/overlays/dev/secrets/';

export function envFiles(service: ComposeService): string[] {
  const files = service.env_file === undefined ? [] : Array.isArray(service.env_file) ? service.env_file : [service.env_file];
  return files.map((f) => (typeof f === 'string' ? f : f.path));
}

function resolveEnvFile(path: string, ctx: ComposeContext) {
  return path.startsWith(SECRETS_PREFIX) ? join(ctx.secretsDir, path.slice(SECRETS_PREFIX.length)) : join(ctx.root, path);
}

/** The environment a container gets: env files in order, then `environment`. */
export function serviceEnv(service: ComposeService, ctx: ComposeContext): Env {
  const env: Env = {};
  for (const f of envFiles(service)) {
    const path = resolveEnvFile(f, ctx);
    if (existsSync(path)) Object.assign(env, readEnvFile(path));
  }
  for (const [k, v] of ownEnv(service)) env[k] = interpolate(String(v ?? ''));
  return env;
}

/** A service's `environment`, written either way (`{K: v}` or `[K=v]`), as written (not interpolated). */
function ownEnv(service: ComposeService): [string, unknown][] {
  const own = service.environment ?? {};
  return Array.isArray(own) ? own.map((kv) => kv.split(/=(.*)/s).slice(0, 2) as [string, string]) : Object.entries(own);
}

/** Build arguments as a map, written either way (`{SERVICE: auth}` or `[SERVICE=auth]`), interpolated. */
function buildArgs(args: Record<string, string> | string[] | undefined): Record<string, string> {
  const pairs = Array.isArray(args) ? args.map((kv) => kv.split(/=(.*)/s).slice(0, 2) as [string, string]) : Object.entries(args ?? {});
  return Object.fromEntries(pairs.map(([k, v]) => [k, interpolate(String(v ?? ''))]));
}

const list = (v: string[] | string | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : v.split(/\s+/));

/** The port a compose service listens on, from what it runs. */
function listenPort(name: string, service: ComposeService, ctx: ComposeContext, frontDoorConf?: string): number | undefined {
  const image = imageName(service.image ?? '');
  if (image.startsWith('ticketing/')) return Number(serviceEnv(service, ctx)['PORT'] ?? NaN);
  if (image === 'postgres') return 5432;
  if (image === 'nats') {
    const args = [...list(service.entrypoint), ...list(service.command)];
    const p = args.indexOf('-p');
    return p >= 0 ? Number(args[p + 1]) : 4222;
  }
  if (image === 'nginx' && frontDoorConf) return Number(frontDoorConf.match(/listen\s+(\d+)/)?.[1]);
  return undefined;
}

export function composeProblems(compose: ComposeFile, ctx: ComposeContext): string[] {
  const problems: string[] = [];
  const names = Object.keys(compose.services ?? {});
  const declaredVolumes = new Set(Object.keys(compose.volumes ?? {}));
  const frontDoorConf = mountedNginxConf(compose, ctx.root);
  let published = 0;
  for (const [name, svc] of Object.entries(compose.services ?? {})) {
    const where = `compose service ${name}`;
    const image = svc.image ?? '';
    const env = serviceEnv(svc, ctx);
    // Images: ours exactly as skaffold builds them; others pinned, and the same as Kubernetes'.
    if (image.startsWith('ticketing/')) {
      const artifact = ctx.artifacts.find((a) => a.image === imageName(image));
      const build = typeof svc.build === 'string' ? { context: svc.build } : svc.build;
      if (!artifact) problems.push(`${where}: image ${image} is not an artifact in skaffold.yaml`);
      else if (!build) problems.push(`${where}: has no build section for ${image}`);
      else {
        const args = buildArgs(build.args);
        const ours = describeBuild(`${build.context ?? '.'}/${build.dockerfile ?? 'Dockerfile'}`, args);
        const skaffolds = describeBuild(`${artifact.context ?? '.'}/${artifact.docker?.dockerfile ?? 'Dockerfile'}`, artifact.docker?.buildArgs);
        if (ours !== skaffolds) problems.push(`${where}: builds ${ours}, skaffold builds ${skaffolds}`);
        const dockerfile = join(ctx.root, build.context ?? '.', build.dockerfile ?? 'Dockerfile');
        if (!existsSync(dockerfile)) problems.push(`${where}: Dockerfile ${build.dockerfile} does not exist`);
        else {
          const text = readFileSync(dockerfile, 'utf8');
          for (const p of buildArgProblems(text, args)) problems.push(`${where}: ${p}`);
          const stages = dockerfileStages(parseDockerfile(text, args));
          if (build.target && build.target !== stages.at(-1)?.name)
            problems.push(`${where}: builds target ${build.target}, not the production (last) stage of ${build.dockerfile}`);
        }
      }
    } else {
      const k8s = ctx.kubernetesImages.get(imageName(image));
      if (!isPinnedTag(imageTag(image))) problems.push(`${where}: image ${image} is not pinned to a release`);
      else if (k8s && k8s !== image) problems.push(`${where}: runs ${image}, Kubernetes runs ${k8s}`);
    }
    // Our containers and the front door run hardened, as in Kubernetes.
    if (image.startsWith('ticketing/') || imageName(image) === 'nginx') {
      if (svc.read_only !== true) problems.push(`${where}: root filesystem is not read-only`);
      if (!(svc.cap_drop ?? []).includes('ALL')) problems.push(`${where}: does not drop all capabilities`);
      if (!(svc.security_opt ?? []).includes('no-new-privileges:true')) problems.push(`${where}: may gain privileges (no-new-privileges)`);
    }
    // depends_on and health checks.
    const deps = svc.depends_on ?? {};
    for (const [dep, cond] of Array.isArray(deps) ? deps.map((d): [string, { condition?: string }] => [d, {}]) : Object.entries(deps)) {
      if (!names.includes(dep)) problems.push(`${where}: depends on ${dep}, which is not a service`);
      else if (cond.condition === 'service_healthy' && !compose.services[dep]!.healthcheck?.test)
        problems.push(`${where}: waits for ${dep} to be healthy, but ${dep} has no health check`);
    }
    const test = list(svc.healthcheck?.test).join(' ');
    if (!test || svc.healthcheck?.disable) problems.push(`${where}: has no health check`);
    const probe = test.match(/https?:\/\/(?:127\.0\.0\.1|localhost):(\d+)(\/[^'"\s)]*)/);
    if (probe) {
      const [, port, path] = probe;
      const workspace = image.match(/^ticketing\/([a-z-]+)/)?.[1];
      const known = workspace && serviceNames().includes(workspace) ? ['/readyz']
        : workspace === 'client' ? clientStaticRoutes()
        : imageName(image) === 'nats' ? ['/healthz']
        : imageName(image) === 'nginx' ? [...(frontDoorConf ?? '').matchAll(/location\s+=\s+(\S+)/g)].map((m) => m[1]!)
        : [];
      if (known.length === 0) problems.push(`${where}: health check asks ${path} of ${image}, whose endpoints are unknown`);
      else if (!known.includes(path!.split('?')[0]!)) problems.push(`${where}: health check asks ${path}, which it does not serve (${known.join(', ')})`);
      const listens = imageName(image) === 'nats' ? Number(list(svc.command)[list(svc.command).indexOf('-m') + 1]) : listenPort(name, svc, ctx, frontDoorConf);
      if (listens !== Number(port)) problems.push(`${where}: health check asks port ${port}, it listens on ${listens}`);
    }
    // Env files, volumes, ports.
    for (const f of envFiles(svc))
      if (!existsSync(resolveEnvFile(f, ctx))) problems.push(`${where}: env file ${f} is neither in the repository nor written by make-dev-secrets.sh`);
    for (const v of svc.volumes ?? []) {
      const source = v.split(':')[0]!;
      if (source.startsWith('.') || isAbsolute(source)) {
        if (!existsSync(join(ctx.root, source))) problems.push(`${where}: mounts ${source}, which does not exist`);
      } else if (!declaredVolumes.has(source)) problems.push(`${where}: volume ${source} is not declared`);
    }
    published += (svc.ports ?? []).length;
    // URLs in its environment reach a service on the port that service listens on.
    for (const [key, value] of Object.entries(env)) {
      if (!key.endsWith('_URL') || !/^[a-z]+:\/\//.test(value)) continue;
      const url = parseUrl(value);
      const target = compose.services[url.host];
      if (!target) {
        problems.push(`${where} ${key}: host ${url.host} is not a service`);
        continue;
      }
      const port = listenPort(url.host, target, ctx, frontDoorConf);
      if (port !== url.port) problems.push(`${where} ${key}: ${url.host} listens on ${port}, not ${url.port}`);
      if (url.protocol.startsWith('postgres')) {
        const t = serviceEnv(target, ctx);
        if (t['POSTGRES_USER'] !== url.user || t['POSTGRES_DB'] !== url.path.slice(1) || t['POSTGRES_PASSWORD'] !== url.password)
          problems.push(`${where} ${key}: its user, database or password differ from those ${url.host} is created with`);
      }
    }
  }
  if (published !== 1) problems.push(`compose publishes ${published} ports; the front door should be the only one`);
  // The front door's upstreams are services listening where it sends requests.
  for (const [path, upstream] of frontDoorRoutes(frontDoorConf ?? '')) {
    const [host, port] = upstream.split(':');
    const target = compose.services[host!];
    if (!target) problems.push(`front door: ${path} goes to ${host}, which is not a service`);
    else if (listenPort(host!, target, ctx, frontDoorConf) !== Number(port)) problems.push(`front door: ${path} goes to ${upstream}, where nothing listens`);
  }
  return problems;
}

/** The nginx.conf that compose mounts into its nginx service, if any. */
export function mountedNginxConf(compose: ComposeFile, root: string): string | undefined {
  for (const svc of Object.values(compose.services ?? {})) {
    if (imageName(svc.image ?? '') !== 'nginx') continue;
    for (const v of svc.volumes ?? []) {
      const [source, target] = v.split(':');
      if (target?.endsWith('.conf') && existsSync(join(root, source!))) return readFileSync(join(root, source!), 'utf8');
    }
  }
  return undefined;
}

/** nginx.conf `location <prefix> { proxy_pass http://host:port; }` -> prefix -> host:port. */
export function frontDoorRoutes(conf: string): Map<string, string> {
  const routes = new Map<string, string>();
  for (const m of conf.matchAll(/location\s+(\/[^\s{]*)\s*\{[^}]*?proxy_pass\s+http:\/\/([^/;\s]+)/g)) routes.set(m[1]!, m[2]!);
  return routes;
}

/**
 * The variables the Kubernetes Deployment `workload` takes from Secret `secret` that the compose
 * service does not pass from the shell under the same name (`NAME: ${NAME:-}`). Compose has no
 * such Secret (the stripe one, say): the developer's shell stands in for it.
 */
export function notPassedFromShell(service: ComposeService, objects: K8sObject[], workload: string, secret: string): string[] {
  const deployment = find(objects, 'Deployment', workload) as Deployment | undefined;
  const container = deployment?.spec?.template.spec?.containers.find((c) => c.name === 'server');
  if (!container) throw new Error(`no server container in Deployment/${workload}`);
  const fromSecret = [...effectiveEnv(objects, container)].filter(([, src]) => src.kind === 'secret' && src.name === secret).map(([name]) => name);
  const passed = new Set(ownEnv(service).filter(([k, v]) => new RegExp(`^\\$\\{${k}(:?-[^}]*)?\\}$`).test(String(v ?? ''))).map(([k]) => k));
  return fromSecret.filter((name) => !passed.has(name));
}
