/**
 * What an image's runtime stage installs: the workspaces its `npm ci --omit=dev -w ...` names,
 * and every package their production dependencies reach, resolved in the root lockfile as npm
 * resolves them (nested node_modules first, then up to the root; workspace links followed).
 */
import { dockerfileStages, parseDockerfile, type BuildArgs } from './dockerfile.js';

interface LockEntry {
  link?: boolean;
  resolved?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}
export interface Lockfile {
  packages: Record<string, LockEntry>;
}

/** The workspaces (`-w NAME`) of the final stage's `npm ci`, as built with `buildArgs`. */
export function runtimeWorkspaces(dockerfile: string, buildArgs: BuildArgs = {}): string[] {
  const final = dockerfileStages(parseDockerfile(dockerfile, buildArgs)).at(-1);
  const ci = final?.instructions.find((i) => i.keyword === 'RUN' && /npm ci/.test(i.raw));
  return [...(ci?.raw.matchAll(/(?:-w|--workspace)[ =](\S+)/g) ?? [])].map((m) => m[1]!);
}

/** Every package name installed for `workspaces` without dev dependencies, the workspaces included. */
export function productionPackages(lock: Lockfile, workspaces: string[]): Set<string> {
  const names = new Set<string>();
  const seen = new Set<string>();
  const visit = (name: string, from: string) => {
    const location = locate(lock, name, from);
    if (location === undefined || seen.has(location)) return;
    seen.add(location);
    names.add(name);
    const entry = lock.packages[location]!;
    for (const deps of [entry.dependencies, entry.optionalDependencies, entry.peerDependencies])
      for (const dep of Object.keys(deps ?? {})) visit(dep, location);
  };
  for (const ws of workspaces) visit(ws, '');
  return names;
}

/** Where `name` required from `from` is installed: the nearest node_modules up the tree, links followed. */
function locate(lock: Lockfile, name: string, from: string): string | undefined {
  for (let dir = from; ; dir = parentOf(dir)) {
    const key = `${dir ? `${dir}/` : ''}node_modules/${name}`;
    const entry = lock.packages[key];
    if (entry) return entry.link ? entry.resolved : key;
    if (dir === '') return undefined; // optional for this platform, or a peer nobody installs
  }
}

/** `node_modules/a/node_modules/b` -> `node_modules/a`; `common` or `node_modules/a` -> the root. */
function parentOf(location: string): string {
  const at = location.lastIndexOf('/node_modules/');
  return at >= 0 ? location.slice(0, at) : '';
}
