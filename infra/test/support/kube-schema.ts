/**
 * Two independent schema checks of rendered objects:
 * - kubernetes-models: the API's JSON schema (required fields, types, enums, quantities); the
 *   Gateway API kinds, which it lacks, against fixtures/gateway-api-v1.json (gateway.ts);
 * - kubernetes-types with tsc: each object typed as its kind, so an unknown or misspelled
 *   field (which the JSON schema lets through) and an apiVersion Kubernetes no longer serves
 *   fail to compile.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gatewaySchemaProblems, isGatewayApi } from './gateway.js';
import { idOf, type K8sObject } from './kustomize.js';
import { repoRoot } from './repo.js';

/** One kind's model only (importing a whole API group loads every schema in it). */
const modelsModule = (apiVersion: string, kind: string) => `kubernetes-models/${apiVersion}/${kind}`;

/**
 * kustomize folds long base64 values of Secrets over several lines. The API server's
 * decoder skips line breaks, the schema's "byte" format does not: join them first.
 */
function normalizeBase64(o: K8sObject): K8sObject {
  if (o.kind !== 'Secret' || !o['data']) return o;
  const data = Object.fromEntries(Object.entries(o['data'] as Record<string, string>).map(([k, v]) => [k, v.replace(/\s+/g, '')]));
  return { ...o, data };
}

/** Every object against its schema: kubernetes-models for Kubernetes' own kinds, the stored Gateway API schema for those. */
export async function schemaProblems(objects: K8sObject[]): Promise<string[]> {
  const problems: string[] = gatewaySchemaProblems(objects);
  for (const o of objects.filter((x) => !isGatewayApi(x))) {
    let mod: Record<string, unknown>;
    try {
      mod = (await import(modelsModule(o.apiVersion, o.kind))) as Record<string, unknown>;
    } catch {
      problems.push(`${idOf(o)}: no ${o.kind} in apiVersion ${o.apiVersion}`);
      continue;
    }
    const Model = mod[o.kind] as (new (data: unknown) => { validate(): void }) | undefined;
    if (!Model) {
      problems.push(`${idOf(o)}: ${o.apiVersion} has no kind ${o.kind}`);
      continue;
    }
    try {
      new Model(normalizeBase64(o)).validate();
    } catch (err) {
      problems.push(`${idOf(o)}: ${(err as Error).message}`);
    }
  }
  return problems;
}

/** "networking.k8s.io/v1" -> "kubernetes-types/networking/v1.js"; "v1" -> ".../core/v1.js". */
function typesModule(apiVersion: string) {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['core', apiVersion];
  return `kubernetes-types/${group!.split('.')[0]}/${version}.js`;
}

/**
 * Type-checks every object of every named set in one tsc run. Returns the compiler's
 * errors, each prefixed with the set and object it is about (the first set that has it).
 */
export function typeProblems(allSets: Record<string, K8sObject[]>): string[] {
  // kubernetes-types has no Gateway API: the stored schema closes every object instead.
  const sets = Object.fromEntries(Object.entries(allSets).map(([k, v]) => [k, v.filter((o) => !isGatewayApi(o))]));
  const dir = mkdtempSync(join(tmpdir(), 'ticketing-k8s-types-'));
  try {
    const imports = new Map<string, string>(); // module -> import line
    const body: string[] = [];
    const owners: { line: number; label: string }[] = [];
    let n = 0;
    const aliases = new Map<string, string>();
    for (const objects of Object.values(sets))
      for (const o of objects) {
        const key = `${o.apiVersion} ${o.kind}`;
        if (!aliases.has(key)) {
          const alias = `T${aliases.size}`;
          aliases.set(key, alias);
          const mod = typesModule(o.apiVersion);
          imports.set(`${mod} ${o.kind}`, `import type { ${o.kind} as ${alias} } from '${mod}';`);
        }
      }
    const header = [...imports.values()];
    // An import that fails names the objects of that apiVersion and kind.
    [...imports.keys()].forEach((key, i) => {
      const [mod, kind] = key.split(' ');
      const users = Object.entries(sets).flatMap(([set, objects]) =>
        objects.filter((o) => typesModule(o.apiVersion) === mod && o.kind === kind).map((o) => `${set} ${idOf(o)}`),
      );
      owners.push({ line: i + 1, label: users.join(', ') });
    });
    let line = header.length + 1;
    // An object identical to one already typed (most of prod is dev; a fixture is an overlay
    // plus one change) is not typed again: its errors would be the same.
    const seen = new Set<string>();
    for (const [set, objects] of Object.entries(sets)) {
      for (const o of objects) {
        const json = JSON.stringify(o);
        if (seen.has(json)) continue;
        seen.add(json);
        const text = `export const o${n++}: ${aliases.get(`${o.apiVersion} ${o.kind}`)} = ${JSON.stringify(o, null, 2)};`;
        owners.push({ line, label: `${set} ${idOf(o)}` });
        line += text.split('\n').length;
        body.push(text);
      }
    }
    writeFileSync(join(dir, 'objects.ts'), [...header, ...body].join('\n') + '\n');
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          target: 'ES2022',
          module: 'ESNext',
          moduleResolution: 'Bundler',
          types: [],
          skipLibCheck: true,
          lib: ['ES2022'],
          paths: { 'kubernetes-types/*': [join(repoRoot, 'node_modules', 'kubernetes-types', '*')] },
        },
        files: ['objects.ts'],
      }),
    );
    const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = spawnSync(process.execPath, [tsc, '-p', dir, '--pretty', 'false'], { encoding: 'utf8' });
    if (result.status === 0) return [];
    const problems: string[] = [];
    for (const m of result.stdout.matchAll(/objects\.ts\((\d+),\d+\): (error TS\d+: .*)$/gm)) {
      const at = Number(m[1]);
      const owner = owners.filter((o) => o.line <= at).at(-1);
      problems.push(`${owner?.label ?? 'imports'}: ${m[2]}`);
    }
    if (problems.length === 0) problems.push(`tsc failed: ${result.stdout}${result.stderr}`);
    return problems;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
