/**
 * Writes infra/ecs/task-definitions/<workload>.json from the base manifests, as kustomize
 * renders them. Run it after changing infra/k8s/base: `npx tsx infra/ecs/generate.ts`
 * (infra/test/ecs.test.ts fails while the committed files differ from its output).
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kustomize, type K8sObject } from '../kustomize.js';
import { FAMILY_PREFIX, taskDefinitions } from './task-definition.js';

const here = fileURLToPath(new URL('.', import.meta.url));
export const baseDir = join(here, '..', 'k8s', 'base');
export const outDir = join(here, 'task-definitions');

/** File name -> contents, for the given rendered objects. */
export function generate(objects: K8sObject[]): Map<string, string> {
  return new Map(taskDefinitions(objects).map((t) => [`${t.family!.slice(FAMILY_PREFIX.length)}.json`, JSON.stringify(t, null, 2) + '\n']));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const files = generate(kustomize(baseDir));
  mkdirSync(outDir, { recursive: true });
  for (const f of readdirSync(outDir)) if (!files.has(f)) rmSync(join(outDir, f));
  for (const [name, text] of files) writeFileSync(join(outDir, name), text);
  console.log(`wrote ${[...files.keys()].join(', ')} to ${outDir}`);
}
