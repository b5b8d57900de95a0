/**
 * Renders kustomizations with the `kubectl kustomize` on the PATH, in a scratch copy of
 * infra/k8s whose dev secrets come from the real make-dev-secrets.sh (so a clean clone, which
 * has no secrets, renders the dev overlay as a developer's machine does).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { kustomize, kustomizeAll, RenderError, type K8sObject } from '../../kustomize.js';
import { fixturesDir, infraDir } from './repo.js';

// Rendering itself is shared with the ECS generator, which runs outside the tests.
export { KUBECTL_MISSING, kustomize, kustomizeAll, parseYamlStream, RenderError, type K8sObject } from '../../kustomize.js';

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
