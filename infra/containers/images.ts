/**
 * Every image skaffold.yaml builds, built here the same way: from the repository root, with its
 * Dockerfile, build arguments and target. Each artifact gives two images, its `dev` stage
 * (what `skaffold dev` runs) and its last stage (what production runs).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { Engine } from './engine.js';

export interface Artifact {
  /** The image name the manifests use, e.g. ticketing/tickets. */
  image: string;
  context: string;
  dockerfile: string;
  buildArgs: Record<string, string>;
}

export interface BuiltImage {
  artifact: Artifact;
  stage: 'dev' | 'runtime';
  ref: string;
  seconds: number;
  bytes: number;
}

interface SkaffoldArtifact {
  image: string;
  context?: string;
  docker?: { dockerfile?: string; buildArgs?: Record<string, string> };
}

export function skaffoldArtifacts(root: string): Artifact[] {
  const config = parse(readFileSync(join(root, 'skaffold.yaml'), 'utf8')) as { build: { artifacts: SkaffoldArtifact[] } };
  return config.build.artifacts.map((a) => ({
    image: a.image,
    context: a.context ?? '.',
    dockerfile: a.docker?.dockerfile ?? 'Dockerfile',
    buildArgs: a.docker?.buildArgs ?? {},
  }));
}

/** The tag a test build gets: `localhost/ticketing/tickets:runtime`, `...:dev`. */
export const testRef = (image: string, stage: 'dev' | 'runtime') => `localhost/${image}:${stage}`;

export async function buildImage(engine: Engine, root: string, artifact: Artifact, stage: 'dev' | 'runtime'): Promise<BuiltImage> {
  const ref = testRef(artifact.image, stage);
  const args = ['build', '-f', join(root, artifact.context, artifact.dockerfile), '-t', ref];
  if (stage === 'dev') args.push('--target', 'dev');
  for (const [k, v] of Object.entries(artifact.buildArgs)) args.push('--build-arg', `${k}=${v}`);
  // podman builds in a network namespace of its own unless told; npm ci needs the registry.
  if (engine.name === 'podman') args.push('--network', 'host');
  args.push(join(root, artifact.context));
  const started = Date.now();
  await engine.cmd(...args);
  return { artifact, stage, ref, seconds: (Date.now() - started) / 1000, bytes: await engine.imageSize(ref) };
}

/** The external images the Dockerfiles build FROM (not their own stages). */
export function dockerfileBases(root: string, artifacts: Artifact[]): string[] {
  const bases = new Set<string>();
  for (const path of new Set(artifacts.map((a) => join(root, a.context, a.dockerfile)))) {
    const stages = new Set<string>();
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      const m = /^FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/i.exec(line.trim());
      if (!m) continue;
      if (!stages.has(m[1]!)) bases.add(m[1]!);
      if (m[2]) stages.add(m[2]);
    }
  }
  return [...bases];
}
