/**
 * skaffold.yaml, checked without Skaffold or a cluster: against Skaffold's published schema,
 * against the files it names, against the Dockerfiles it builds and the manifests it deploys.
 * Each check also runs on a broken stand-in from fixtures/broken/skaffold/.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { devOverlayOfThisFile } from './support/kustomize.js';
import { fixturesDir, imageBuilds } from './support/repo.js';
import {
  artifactProblems,
  indexPatchProblems,
  loadSkaffold,
  pathProblems,
  pipelines,
  platformProblems,
  portForwardProblems,
  schemaProblems,
} from './support/skaffold.js';

const real = loadSkaffold();
const brokenFile = (name: string) => loadSkaffold(join(fixturesDir, 'broken', 'skaffold', name));

const devOverlay = devOverlayOfThisFile();

describe('skaffold.yaml', () => {
  it('when validated against the published skaffold/v4beta13 schema, then it passes', () => {
    expect(real.apiVersion).toBe('skaffold/v4beta13');
    expect(schemaProblems(real)).toEqual([]);
  });

  it('when a field is misspelled, then the schema check names it', () => {
    const problems = schemaProblems(brokenFile('schema.yaml'));
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(/must NOT have additional properties: dockerfil$/), expect.stringMatching(/must NOT have additional properties: resourceNam$/)]));
  });

  it('when every path it names is looked up, then each exists', () => {
    expect(pathProblems(real)).toEqual([]);
  });

  it('when it names a missing Dockerfile, sync folder or kustomization, then the check names each', () => {
    expect(pathProblems(brokenFile('paths.yaml'))).toEqual([
      'default ticketing/tickets: Dockerfile tickets/Dockerfile.dev does not exist',
      'default ticketing/tickets: sync source tickets/source/**/*.ts names no existing folder',
      'default: kustomize path infra/k8s/overlays/staging has no kustomization.yaml',
    ]);
  });

  it('when its profiles are read, then none patches a list item by position', () => {
    expect(indexPatchProblems(real)).toEqual([]);
    expect(indexPatchProblems(brokenFile('index-patch.yaml'))).toEqual([
      'profile prod: patch remove /build/artifacts/0/docker/target picks a list item by index',
    ]);
  });

  it('when its artifacts are compared with the Dockerfiles, then each image is built with its SERVICE, dev syncs into the dev stage and prod builds the production stage', () => {
    expect(artifactProblems(real)).toEqual([]);
    const names = pipelines(real).map((p) => p.name);
    expect(names).toEqual(['default', 'profile prod']);
    // One artifact per image the repository builds, in every pipeline.
    for (const { pipeline } of pipelines(real))
      expect((pipeline.build?.artifacts ?? []).map((a) => a.image).sort()).toEqual(imageBuilds().map((b) => b.image).sort());
    expect(real.manifests?.kustomize?.paths).toEqual(['infra/k8s/overlays/dev']);
    expect(real.profiles?.find((p) => p.name === 'prod')?.manifests?.kustomize?.paths).toEqual(['infra/k8s/overlays/prod']);
  });

  it('when an artifact has a wrong or missing SERVICE, names a missing stage, syncs where nothing was copied, or prod builds the dev stage, then the check names each', () => {
    const accepted = '(auth, tickets, orders, expiration, payments)';
    expect(artifactProblems(brokenFile('artifacts.yaml'))).toEqual([
      'default ticketing/tickets: builds Dockerfile with SERVICE=ticket; ticketing/tickets is built from Dockerfile with SERVICE=tickets',
      `default ticketing/tickets: build arg SERVICE=ticket is not one the Dockerfile accepts ${accepted}`,
      'default ticketing/tickets: target develop is not a stage of Dockerfile',
      'default ticketing/orders: builds Dockerfile with SERVICE=payments; ticketing/orders is built from Dockerfile with SERVICE=orders',
      'default ticketing/orders: sync orders/src/**/*.ts -> /srv lands in /srv/orders/src, which stage dev did not copy there',
      'profile prod: builds ticketing/orders, ticketing/tickets, the default pipeline ticketing/client, ticketing/orders, ticketing/tickets',
      'profile prod ticketing/orders: builds Dockerfile; ticketing/orders is built from Dockerfile with SERVICE=orders',
      `profile prod ticketing/orders: build arg SERVICE is missing: the Dockerfile accepts ${accepted.slice(1, -1)}`,
      'profile prod ticketing/orders: builds target dev, not the production stage',
    ]);
  });

  it('when its platforms are read, then prod builds every image for linux/amd64 and linux/arm64 and pushes, and dev follows the cluster', () => {
    const both = ['linux/amd64', 'linux/arm64'];
    expect(platformProblems(real, both)).toEqual([]);
    expect(real.profiles?.find((p) => p.name === 'prod')?.build?.platforms).toEqual(both);
  });

  it('when dev is pinned to a platform, or prod misses one or cannot push, then the check names each', () => {
    expect(platformProblems(brokenFile('platforms.yaml'), ['linux/amd64', 'linux/arm64'])).toEqual([
      "default: names platforms; skaffold dev should build for the cluster's nodes",
      'profile prod ticketing/tickets: not built for linux/arm64',
      'profile prod: builds for several platforms locally without push: true (skaffold refuses)',
    ]);
    expect(schemaProblems(brokenFile('platforms.yaml'))).toEqual([]);
  });

  it('when its port-forward is compared with the dev manifests, then the front door it forwards exists', () => {
    expect(portForwardProblems(real, devOverlay())).toEqual([]);
    expect(portForwardProblems(brokenFile('port-forward.yaml'), devOverlay())).toEqual([
      'port-forward: Service front-dor is not in the manifests',
      'port-forward: Service front-door has no port 80',
    ]);
  });
});
