/**
 * Renders kustomizations with the `kubectl kustomize` on the PATH, in a scratch copy of
 * infra/k8s whose dev secrets come from the real make-dev-secrets.sh (so a clean clone, which
 * has no secrets, renders the dev overlay as a developer's machine does).
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
import { afterAll, beforeAll } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { fixturesDir, infraDir } from './repo.js';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta & { name: string };
  [field: string]: unknown;
}

export const KUBECTL_MISSING =
  'kubectl is not on the PATH. These checks render the manifests with `kubectl kustomize` ' +
  '(kubectl 1.27 or newer bundles kustomize v5). Install it from https://kubernetes.io/docs/tasks/tools/ ' +
  '(on Debian/Ubuntu: add the pkgs.k8s.io apt repository, then `apt-get install kubectl`).';

export class RenderError extends Error {}

export function kustomize(dir: string): K8sObject[] {
  const result = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) {
    if ((result.error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(KUBECTL_MISSING);
    throw result.error;
  }
  if (result.status !== 0) throw new RenderError(`kubectl kustomize ${dir} failed:\n${result.stderr.trim()}`);
  return parseYamlStream(result.stdout);
}

/** Several kustomizations at once (kubectl is mostly waiting on itself: run them side by side). */
export function kustomizeAll(dirs: string[]): Promise<(K8sObject[] | RenderError)[]> {
  return Promise.all(
    dirs.map(
      (dir) =>
        new Promise<K8sObject[] | RenderError>((resolve, reject) => {
          execFile('kubectl', ['kustomize', dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
            if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') reject(new Error(KUBECTL_MISSING));
            else if (err) resolve(new RenderError(`kubectl kustomize ${dir} failed:\n${stderr.trim()}`));
            else resolve(parseYamlStream(stdout));
          });
        }),
    ),
  );
}

export function parseYamlStream(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new RenderError(doc.errors.map((e) => e.message).join('\n'));
      return doc.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

export const idOf = (o: K8sObject) => `${o.kind}/${o.metadata.name}`;

export interface Rendered {
  dev: K8sObject[];
  prod: K8sObject[];
  /** A broken fixture's objects; throws its RenderError if it did not render. */
  broken(name: string): K8sObject[];
}

/** A scratch copy of infra/k8s and the broken fixtures, with dev secrets generated in it. */
export class Workspace {
  readonly root = mkdtempSync(join(tmpdir(), 'ticketing-infra-'));
  readonly k8s = join(this.root, 'infra', 'k8s');

  constructor() {
    const devSecrets = join(infraDir, 'k8s', 'overlays', 'dev', 'secrets');
    cpSync(join(infraDir, 'k8s'), this.k8s, {
      recursive: true,
      // Never the developer's own secrets: the copy gets fresh ones from the script.
      filter: (src) => src !== devSecrets && !src.startsWith(devSecrets + sep),
    });
    cpSync(join(fixturesDir, 'broken'), join(this.root, 'infra', relative(infraDir, join(fixturesDir, 'broken'))), {
      recursive: true,
    });
    execFileSync('bash', [join(this.k8s, 'overlays', 'dev', 'make-dev-secrets.sh')], { stdio: 'pipe' });
  }

  get devSecrets() {
    return join(this.k8s, 'overlays', 'dev', 'secrets');
  }

  overlay(name: 'dev' | 'prod'): K8sObject[] {
    return kustomize(join(this.k8s, 'overlays', name));
  }

  get brokenDir() {
    return join(this.root, 'infra', 'test', 'fixtures', 'broken', 'k8s');
  }

  /** A broken kustomization under infra/test/fixtures/broken/k8s/<name>. */
  broken(name: string): K8sObject[] {
    return kustomize(join(this.brokenDir, name));
  }

  /** Both overlays and every broken kustomization, rendered side by side. */
  async renderAll(): Promise<Rendered> {
    const names = readdirSync(this.brokenDir);
    const dirs = [join(this.k8s, 'overlays', 'dev'), join(this.k8s, 'overlays', 'prod'), ...names.map((n) => join(this.brokenDir, n))];
    const [dev, prod, ...broken] = await kustomizeAll(dirs);
    for (const r of [dev, prod]) if (r instanceof Error) throw r;
    const fixtures = new Map(names.map((n, i) => [n, broken[i]!]));
    return {
      dev: dev as K8sObject[],
      prod: prod as K8sObject[],
      broken(name: string) {
        const r = fixtures.get(name);
        if (!r) throw new Error(`no fixture broken/k8s/${name}`);
        if (r instanceof Error) throw r;
        return r;
      },
    };
  }

  remove() {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/**
 * The dev overlay, rendered once for the test file that calls this (in a scratch Workspace,
 * removed after its tests): read it with the returned function inside a test.
 */
export function devOverlayOfThisFile(): () => K8sObject[] {
  let ws: Workspace | undefined;
  let dev: K8sObject[] = [];
  beforeAll(() => {
    ws = new Workspace();
    dev = ws.overlay('dev');
  }, 60_000);
  afterAll(() => ws?.remove());
  return () => dev;
}
