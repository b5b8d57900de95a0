/**
 * Facts the deployment must agree with, read from the project itself rather than restated:
 * which workspaces are services, which API paths each one serves, its health routes, how
 * long its shutdown may take.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const infraDir = fileURLToPath(new URL('../..', import.meta.url));
export const repoRoot = join(infraDir, '..');
export const fixturesDir = join(infraDir, 'test', 'fixtures');

export const read = (path: string) => readFileSync(join(repoRoot, path), 'utf8');

/** Workspaces with a `src/main.ts`: the back-end services (auth, tickets, ...). */
export function services(): string[] {
  const { workspaces } = JSON.parse(read('package.json')) as { workspaces: string[] };
  return workspaces.filter((ws) => existsSync(join(repoRoot, ws, 'src', 'main.ts')));
}

/** Everything that gets an image: the services and the web client. */
export const imagedWorkspaces = () => [...services(), 'client'];

/** How one image is built from the repository root: its Dockerfile and build arguments. */
export interface ImageBuild {
  workspace: string;
  image: string;
  dockerfile: string;
  buildArgs: Record<string, string>;
}

/** The services share the root Dockerfile (SERVICE names one); the web client has its own. */
export function imageBuilds(): ImageBuild[] {
  return imagedWorkspaces().map((w): ImageBuild =>
    w === 'client'
      ? { workspace: w, image: `ticketing/${w}`, dockerfile: 'client/Dockerfile', buildArgs: {} }
      : { workspace: w, image: `ticketing/${w}`, dockerfile: 'Dockerfile', buildArgs: { SERVICE: w } },
  );
}

/** The `/api/<resource>` prefixes of a service's route table (its app.ts), e.g. tickets -> ['/api/tickets']. */
export function apiPrefixes(service: string): string[] {
  const app = join(repoRoot, service, 'src', 'app.ts');
  if (!existsSync(app)) return [];
  const prefixes = new Set<string>();
  for (const m of readFileSync(app, 'utf8').matchAll(/['"`](\/api\/[a-z-]+)/g)) prefixes.add(m[1]!);
  return [...prefixes].sort();
}

/** path -> service, for every API prefix of every service. */
export function apiRoutes(): Map<string, string> {
  const routes = new Map<string, string>();
  for (const s of services()) for (const p of apiPrefixes(s)) routes.set(p, s);
  return routes;
}

/** The GET routes every service mounts outside /api (from common's health router). */
export function healthRoutes(): string[] {
  const source = read('common/src/service/health.ts');
  return [...source.matchAll(/router\.get\('([^']+)'/g)].map((m) => m[1]!);
}

/** Seconds after SIGTERM at which a service forces its exit (common's runService). */
export function shutdownLimitSeconds(): number {
  const source = read('common/src/service/run-service.ts');
  const m = source.match(/setTimeout\(\(\) => \{[^}]*process\.exit\(1\);\s*\}, ([\d_]+)\)/);
  if (!m) throw new Error('could not find the forced-exit timeout in common/src/service/run-service.ts');
  return Number(m[1]!.replace(/_/g, '')) / 1000;
}

/** Files and folders the web client serves at fixed paths (app/icon.svg -> /icon.svg). */
export function clientStaticRoutes(): string[] {
  const app = join(repoRoot, 'client', 'app');
  const routes = readdirSync(app)
    .filter((f) => /^(icon|apple-icon|favicon)\.[a-z]+$/.test(f))
    .map((f) => `/${f}`);
  const pub = join(repoRoot, 'client', 'public');
  if (existsSync(pub)) routes.push(...readdirSync(pub).map((f) => `/${f}`));
  return routes;
}
