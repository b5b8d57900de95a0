/**
 * `kubectl kustomize` of a kustomization, as objects: for the offline checks (test/support/)
 * and for the ECS generator (ecs/generate.ts). Uses the kubectl on the PATH.
 */
import { execFile, spawnSync } from 'node:child_process';
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
import { parseAllDocuments } from 'yaml';

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

