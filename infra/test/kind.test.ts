/**
 * scripts/kind-e2e.sh, reviewed without a cluster: the images it checks on the node are
 * skaffold's, the workloads it waits for are the dev overlay's, its entry point is reached
 * through infra/kind/'s port mapping and EnvoyProxy to the Gateway's listener, it installs the
 * versions docs/deploy.md pins, it runs every exercise script that drives kubectl, and the
 * workflow runs it and uploads its dump. Each check also runs on a broken stand-in (from
 * fixtures/broken/kind/, or the script's text changed in place). The run itself happens in CI
 * (.github/workflows/e2e-kind.yml) or wherever Docker is.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { devOverlayOfThisFile } from './support/kustomize.js';
import {
  brokenScript,
  entryPointProblems,
  imageProblems,
  kindDir,
  parseScript,
  readKindFiles,
  readScript,
  readYaml,
  scriptPath,
  usageProblems,
  versionProblems,
  workflowProblems,
  workloadProblems,
  type KindScript,
  type Workflow,
} from './support/kind.js';
import { fixturesDir, read, repoRoot } from './support/repo.js';
import { loadSkaffold } from './support/skaffold.js';

const broken = (name: string) => join(fixturesDir, 'broken', 'kind', name);
const script = readScript();
const skaffold = loadSkaffold();
const deployMd = read('docs/deploy.md');
const workflow = readYaml<Workflow>(join(repoRoot, '.github', 'workflows', 'e2e-kind.yml'));

const devOverlay = devOverlayOfThisFile();

/**
 * The guide's exercise scripts that drive kubectl (those that source lib.sh) are exactly what the
 * script lists in EXERCISES, and it runs each of them; a listed one that does not exist is named.
 */
const exercisesDir = join(repoRoot, 'scripts', 'exercises');
function exerciseProblems(kind: KindScript): string[] {
  const onCluster = readdirSync(exercisesDir).filter((f) => f.endsWith('.sh') && /^source .*\/lib\.sh"$/m.test(read(`scripts/exercises/${f}`)));
  const listed = kind.arrays.EXERCISES ?? [];
  const problems = [
    ...listed.filter((f) => !onCluster.includes(f)).map((f) => `EXERCISES lists ${f}, which is no exercise script of scripts/exercises/ that drives kubectl`),
    ...onCluster.filter((f) => !listed.includes(f)).map((f) => `scripts/exercises/${f} drives kubectl, and EXERCISES does not list it`),
  ];
  if (!/for exercise in "\$\{EXERCISES\[@\]\}"; do\n(.*\n)*?\s+.*"scripts\/exercises\/\$exercise"\n/.test(kind.text)) problems.push('nothing runs scripts/exercises/$exercise for each of EXERCISES');
  return problems;
}

describe('scripts/kind-e2e.sh', () => {
  it('when parsed by bash, then it has no syntax error', () => {
    const result = spawnSync('bash', ['-n', scriptPath], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('when its pinned names are read, then each is assigned and used, and skaffold deploys the dev pipeline', () => {
    expect(usageProblems(script)).toEqual([]);
    expect(script.vars.KIND_CONFIG).toBe('infra/kind/cluster.yaml');
  });

  it('when a name is never used or never assigned, or skaffold deploys the prod profile, then the check names each', () => {
    expect(usageProblems(brokenScript(broken('scripts.json'), 'usage'))).toEqual([
      'IMAGES is assigned but never used',
      'STATEFULSETS is not assigned',
      'skaffold run -p prod --kube-context "$CONTEXT" picks a profile; kind runs the dev pipeline',
    ]);
  });

  it("when its images are compared with skaffold.yaml's dev artifacts, then they are the same six", () => {
    expect(imageProblems(script, skaffold)).toEqual([]);
    expect(script.arrays.IMAGES).toHaveLength(6);
  });

  it('when an image is left out or misspelled, then the check names both sides', () => {
    expect(imageProblems(brokenScript(broken('scripts.json'), 'images'), skaffold)).toEqual([
      'the script checks image ticketing/ticket, which skaffold.yaml does not build',
      'skaffold.yaml builds ticketing/tickets, which the script does not check',
      'skaffold.yaml builds ticketing/client, which the script does not check',
    ]);
  });

  it('when the workloads it waits for are compared with the dev overlay, then they are exactly its Deployments and StatefulSets', () => {
    expect(workloadProblems(script, devOverlay())).toEqual([]);
    expect(script.arrays.DEPLOYMENTS).toContain('front-door');
    expect(script.arrays.STATEFULSETS).toContain('nats');
  });

  it('when a Deployment is forgotten or a StatefulSet made up, then the check names each', () => {
    expect(workloadProblems(brokenScript(broken('scripts.json'), 'workloads'), devOverlay())).toEqual([
      'the dev overlay renders Deployment front-door, which the script does not wait for',
      'the script waits for StatefulSet postgres, which the dev overlay does not render',
    ]);
  });

  it("when the entry point is followed from the host, then kind's port mapping reaches the EnvoyProxy's node port, its Service port is the Gateway's listener, and the HTTPRoute answers the host", () => {
    const files = readKindFiles();
    expect(entryPointProblems(script, files, devOverlay())).toEqual([]);
    expect(`http://${script.vars.ENTRY_HOST}:${script.vars.ENTRY_PORT}`).toBe('http://ticketing.local:8888');
  });

  it('when the script, the kind config or the EnvoyProxy breaks the chain, then the check names each link', () => {
    const real = readKindFiles();
    expect(entryPointProblems(brokenScript(broken('scripts.json'), 'entry-point'), real, devOverlay())).toEqual([
      'the kind config maps no node port to host port 8080, where the script reaches the entry point',
      'no HTTPRoute of the dev overlay answers host localhost (ticketing.local)',
    ]);
    expect(entryPointProblems(script, readKindFiles(kindDir, broken('cluster.yaml')), devOverlay())).toEqual([
      "host port 8888 maps to node port 30081, which the EnvoyProxy's Service does not open (it opens 30080)",
    ]);
    expect(entryPointProblems(script, readKindFiles(broken('proxy'), join(kindDir, 'cluster.yaml')), devOverlay())).toEqual([
      "the EnvoyProxy's Service is LoadBalancer, not NodePort: kind has no load balancer",
      "node port 30080 is for Service port 8080, which no HTTP listener of the dev overlay's Gateway has (ticketing:80)",
      'the GatewayClass patch refers to EnvoyProxy/envoy-gateway-system/kind-nodeport, not the EnvoyProxy envoy-gateway-system/kind-node-port',
    ]);
  });

  it('when linted by shellcheck, then it finds nothing', () => {
    const result = spawnSync('shellcheck', ['--format=gcc', scriptPath], { encoding: 'utf8' });
    expect(result.error, 'shellcheck does not run: apt-get install shellcheck').toBeUndefined();
    expect(result.stdout).toBe('');
    expect(result.status).toBe(0);
  });

  it("when its exercises are compared with scripts/exercises/, then it runs every script there that drives kubectl, after the purchase tests", () => {
    expect(exerciseProblems(script)).toEqual([]);
    expect(script.arrays.EXERCISES).toEqual(['self-heal.sh', 'scale.sh', 'rollout.sh', 'storage.sh', 'dns.sh', 'config.sh']);
    expect(script.text.indexOf('"${EXERCISES[@]}"')).toBeGreaterThan(script.text.indexOf('npm run test:cluster'));
  });

  it('when an exercise is left out, one made up, or the loop no longer runs them, then the check names each', () => {
    const broken = parseScript(script.text.replace('  rollout.sh\n', '  rolling.sh\n').replace('"scripts/exercises/$exercise"', 'echo "$exercise"'));

    expect(exerciseProblems(broken)).toEqual([
      'EXERCISES lists rolling.sh, which is no exercise script of scripts/exercises/ that drives kubectl',
      'scripts/exercises/rollout.sh drives kubectl, and EXERCISES does not list it',
      'nothing runs scripts/exercises/$exercise for each of EXERCISES',
    ]);
  });

  it('when its versions are compared with docs/deploy.md, then it installs the Gateway API and Envoy Gateway the docs pin', () => {
    expect(versionProblems(script, deployMd)).toEqual([]);
    expect(script.vars).toMatchObject({ GATEWAY_API_VERSION: 'v1.5.1', ENVOY_GATEWAY_VERSION: 'v1.9.1' });
  });

  it('when it installs other versions, or the docs pin two, then the check names each', () => {
    expect(versionProblems(brokenScript(broken('scripts.json'), 'versions'), deployMd)).toEqual([
      'the script installs the Gateway API v1.4.0, docs/deploy.md pins v1.5.1',
      'the script installs Envoy Gateway v1.9.0, docs/deploy.md pins v1.9.1',
    ]);
    expect(versionProblems(script, `${deployMd}\nhelm install eg oci://docker.io/envoyproxy/gateway-helm --version v1.8.0`)).toEqual([
      'docs/deploy.md pins Envoy Gateway at v1.9.1 and v1.8.0',
    ]);
  });
});

describe('.github/workflows/e2e-kind.yml', () => {
  it('when read with the script, then it points the entry host at the runner, runs the script and uploads its dump on failure', () => {
    expect(workflowProblems(workflow, script)).toEqual([]);
  });

  it('when the hosts entry is missing and the upload takes another directory on every outcome, then the check names each', () => {
    expect(workflowProblems(readYaml<Workflow>(broken('workflow.yml')), script)).toEqual([
      'no step before the script points ticketing.local at 127.0.0.1',
      'the upload takes kind-dump, the script dumps into .test-results/kind',
      'the dump is uploaded without `if: failure()`',
    ]);
  });
});
