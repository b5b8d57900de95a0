/** skaffold.yaml: its schema, the paths it names, and how it fits the Dockerfiles and manifests. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { buildArgProblems, dockerfileStages, parseDockerfile } from './dockerfile.js';
import { find } from './k8s.js';
import type { K8sObject } from './kustomize.js';
import { fixturesDir, imageBuilds, repoRoot, type ImageBuild } from './repo.js';

export interface SyncRule {
  src: string;
  dest: string;
  strip?: string;
}
export interface Artifact {
  image: string;
  context?: string;
  docker?: { dockerfile?: string; target?: string; buildArgs?: Record<string, string> };
  sync?: { manual?: SyncRule[] };
  platforms?: string[];
}
export interface Pipeline {
  build?: { artifacts?: Artifact[]; platforms?: string[]; local?: { push?: boolean } };
  manifests?: { kustomize?: { paths?: string[] } };
  portForward?: { resourceType: string; resourceName: string; port: number | string; localPort?: number }[];
  patches?: { op: string; path: string }[];
}
export interface SkaffoldConfig extends Pipeline {
  apiVersion: string;
  kind: string;
  profiles?: (Pipeline & { name: string })[];
}

export const loadSkaffold = (path = join(repoRoot, 'skaffold.yaml')) => parse(readFileSync(path, 'utf8')) as SkaffoldConfig;

/** Validates against Skaffold's published v4beta13 schema (copied into fixtures/). */
export function schemaProblems(config: unknown): string[] {
  const schema = JSON.parse(readFileSync(join(fixturesDir, 'skaffold-v4beta13.json'), 'utf8')) as object;
  // The schema carries editor hints (x-intellij-html-description, preferredOrder, ...).
  const ajv = new Ajv({ strict: false, allErrors: true });
  const validate = ajv.compile(schema);
  if (validate(config)) return [];
  // The schema is an anyOf per artifact type, so one mistake yields several errors; the
  // ones about an unexpected field name it.
  return (validate.errors ?? []).map(
    (e) => `${e.instancePath || '/'} ${e.message}${e.params && 'additionalProperty' in e.params ? `: ${String(e.params.additionalProperty)}` : ''}`,
  );
}

/** Every pipeline: the default one and each profile's (profiles replace what they set). */
export function pipelines(config: SkaffoldConfig): { name: string; pipeline: Pipeline }[] {
  const base: Pipeline = { build: config.build, manifests: config.manifests, portForward: config.portForward };
  return [
    { name: 'default', pipeline: base },
    ...(config.profiles ?? []).map((p) => ({
      name: `profile ${p.name}`,
      pipeline: {
        build: p.build ?? base.build,
        manifests: p.manifests ?? base.manifests,
        portForward: p.portForward ?? base.portForward,
        patches: p.patches,
      },
    })),
  ];
}

/** Paths exist: contexts, Dockerfiles, kustomize directories, the folders sync rules watch. */
export function pathProblems(config: SkaffoldConfig, root = repoRoot): string[] {
  const problems: string[] = [];
  for (const { name, pipeline } of pipelines(config)) {
    for (const a of pipeline.build?.artifacts ?? []) {
      const context = join(root, a.context ?? '.');
      if (!existsSync(context)) problems.push(`${name} ${a.image}: context ${a.context} does not exist`);
      const dockerfile = join(context, a.docker?.dockerfile ?? 'Dockerfile');
      if (!existsSync(dockerfile)) problems.push(`${name} ${a.image}: Dockerfile ${a.docker?.dockerfile ?? 'Dockerfile'} does not exist`);
      for (const rule of a.sync?.manual ?? []) {
        const fixed = rule.src.split(/[*?[{]/)[0]!.replace(/\/[^/]*$/, '');
        if (!existsSync(join(context, fixed))) problems.push(`${name} ${a.image}: sync source ${rule.src} names no existing folder`);
      }
    }
    for (const p of pipeline.manifests?.kustomize?.paths ?? [])
      if (!existsSync(join(root, p, 'kustomization.yaml'))) problems.push(`${name}: kustomize path ${p} has no kustomization.yaml`);
  }
  return problems;
}

/** Profiles must not patch list items by position (e.g. /build/artifacts/0/docker/target). */
export function indexPatchProblems(config: SkaffoldConfig): string[] {
  return (config.profiles ?? []).flatMap((p) =>
    (p.patches ?? []).filter((patch) => /\/\d+(\/|$)/.test(patch.path)).map((patch) => `profile ${p.name}: patch ${patch.op} ${patch.path} picks a list item by index`),
  );
}

/** `Dockerfile with SERVICE=tickets`: how an artifact or a compose build makes its image. */
export const describeBuild = (dockerfile: string, buildArgs: Record<string, string> = {}) =>
  [dockerfile, ...Object.entries(buildArgs).map(([k, v]) => `${k}=${v}`)].join(' with ');

/** The artifact builds its image as the repository does (imageBuilds): same Dockerfile, same build arguments. */
export function buildMismatch(image: string, dockerfile: string, buildArgs: Record<string, string> = {}, builds: ImageBuild[] = imageBuilds()): string | undefined {
  const expected = builds.find((b) => b.image === image);
  if (!expected) return undefined; // an image the repository does not build: reported where images are compared
  const actual = describeBuild(dockerfile, buildArgs);
  const wanted = describeBuild(expected.dockerfile, expected.buildArgs);
  return actual === wanted ? undefined : `builds ${actual}; ${image} is built from ${wanted}`;
}

/**
 * Artifacts fit their Dockerfiles: each builds its image from the right Dockerfile with the
 * right build arguments, which that Dockerfile accepts; the target stage exists; synced files
 * land where the dev stage copied them (dest + path in the context); the default pipeline
 * syncs into the dev target and every artifact is built in every pipeline.
 */
export function artifactProblems(config: SkaffoldConfig, root = repoRoot): string[] {
  const problems: string[] = [];
  const all = pipelines(config);
  const images = (p: Pipeline) => (p.build?.artifacts ?? []).map((a) => a.image).sort();
  for (const { name, pipeline } of all) {
    if (JSON.stringify(images(pipeline)) !== JSON.stringify(images(all[0]!.pipeline)))
      problems.push(`${name}: builds ${images(pipeline).join(', ')}, the default pipeline ${images(all[0]!.pipeline).join(', ')}`);
    for (const a of pipeline.build?.artifacts ?? []) {
      const dockerfilePath = join(root, a.context ?? '.', a.docker?.dockerfile ?? 'Dockerfile');
      if (!existsSync(dockerfilePath)) continue; // reported by pathProblems
      const text = readFileSync(dockerfilePath, 'utf8');
      const buildArgs = a.docker?.buildArgs ?? {};
      const mismatch = buildMismatch(a.image, a.docker?.dockerfile ?? 'Dockerfile', buildArgs);
      if (mismatch) problems.push(`${name} ${a.image}: ${mismatch}`);
      for (const p of buildArgProblems(text, buildArgs)) problems.push(`${name} ${a.image}: ${p}`);
      const stages = dockerfileStages(parseDockerfile(text, buildArgs));
      const target = a.docker?.target;
      if (target && !stages.some((s) => s.name === target)) problems.push(`${name} ${a.image}: target ${target} is not a stage of ${a.docker?.dockerfile}`);
      const rules = a.sync?.manual ?? [];
      if (rules.length > 0) {
        const stage = stages.find((s) => s.name === target) ?? stages.at(-1)!;
        // Where the stage (and the stages it builds on) put files from the context.
        const copies = stages
          .slice(0, stages.indexOf(stage) + 1)
          .flatMap((s) => s.instructions.filter((i) => i.keyword === 'COPY' && !i.args.some((x) => x.startsWith('--from'))))
          .map((i) => {
            const args = i.args.filter((x) => !x.startsWith('--'));
            return { src: args[0]!.replace(/\/$/, ''), dest: args.at(-1)!, workdir: i.workdir };
          });
        for (const rule of rules) {
          const fixed = rule.src.split(/[*?[{]/)[0]!.replace(/\/$/, '');
          const landing = join(rule.dest, fixed.slice((rule.strip ?? '').length));
          const copied = copies.some((c) => {
            const destAbs = c.dest.startsWith('/') ? c.dest : join(c.workdir, c.dest);
            return fixed.startsWith(c.src + '/') && landing === join(destAbs, fixed.slice(c.src.length));
          });
          if (!copied) problems.push(`${name} ${a.image}: sync ${rule.src} -> ${rule.dest} lands in ${landing}, which stage ${stage.name ?? '(last)'} did not copy there`);
        }
        if (name === 'default' && target !== 'dev') problems.push(`${name} ${a.image}: syncs files but does not build the dev target`);
      }
      if (name !== 'default' && rules.length > 0) problems.push(`${name} ${a.image}: syncs files into a production image`);
      if (name !== 'default' && target && target !== stages.at(-1)?.name) problems.push(`${name} ${a.image}: builds target ${target}, not the production stage`);
    }
  }
  return problems;
}

/**
 * Platforms: production images are built for every platform in `required`, which a local
 * build can only do when it pushes; the default (dev) pipeline names none, so skaffold dev
 * builds for the cluster's own nodes.
 */
export function platformProblems(config: SkaffoldConfig, required: string[], productionProfile = 'prod'): string[] {
  const problems: string[] = [];
  for (const { name, pipeline } of pipelines(config)) {
    const build = pipeline.build ?? {};
    const artifactsWith = (build.artifacts ?? []).filter((a) => a.platforms).map((a) => a.image);
    if (name === 'default') {
      if (build.platforms || artifactsWith.length > 0) problems.push(`default: names platforms; skaffold dev should build for the cluster's nodes`);
      continue;
    }
    if (name !== `profile ${productionProfile}`) continue;
    for (const a of build.artifacts ?? []) {
      const platforms = a.platforms ?? build.platforms ?? [];
      const missing = required.filter((p) => !platforms.includes(p));
      if (missing.length > 0) problems.push(`${name} ${a.image}: not built for ${missing.join(', ')}`);
    }
    const multi = (build.artifacts ?? []).some((a) => (a.platforms ?? build.platforms ?? []).length > 1);
    if (multi && build.local?.push !== true) problems.push(`${name}: builds for several platforms locally without push: true (skaffold refuses)`);
  }
  return problems;
}

/** Port-forwards name a Service and port the pipeline's manifests have. */
export function portForwardProblems(pipeline: Pipeline, objects: K8sObject[]): string[] {
  return (pipeline.portForward ?? []).flatMap((pf) => {
    if (pf.resourceType.toLowerCase() !== 'service') return [];
    const svc = find(objects, 'Service', pf.resourceName) as { spec?: { ports?: { port: number }[] } } | undefined;
    if (!svc) return [`port-forward: Service ${pf.resourceName} is not in the manifests`];
    if (!(svc.spec?.ports ?? []).some((p) => p.port === Number(pf.port))) return [`port-forward: Service ${pf.resourceName} has no port ${pf.port}`];
    return [];
  });
}
