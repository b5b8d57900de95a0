/**
 * Before the container tests: stand-in base images where no registry can be reached, every
 * image skaffold.yaml names built in both its stages (sizes and build times printed), and the
 * whole system started from the rendered dev overlay with the production images. The tests
 * get what they need to reach it through `inject`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { Workspace } from '../test/support/kustomize.js';
import { ensureStandins, describeStandin, qualified } from './bases.js';
import { chooseEngine, Engine, type EngineName } from './engine.js';
import { buildImage, dockerfileBases, skaffoldArtifacts, testRef, type BuiltImage } from './images.js';
import { containerSpecs, type ContainerSpec } from './manifests.js';
import { ContainerSystem } from './system.js';

declare module 'vitest' {
  export interface ProvidedContext {
    engine: EngineName;
    prefix: string;
    specs: ContainerSpec[];
    images: BuiltImage[];
    frontDoor: string;
    /** NATS's admin seed (the operator's, for the dead-letter command), from the generated dev secrets. */
    natsAdminSeed: string;
  }
}

const root = fileURLToPath(new URL('../..', import.meta.url));
const resultsDir = join(root, '.test-results', 'containers');
const say = (line: string) => process.stdout.write(`containers | ${line}\n`);

/** The image to run for one a manifest names: ours as just built, any other by its full name. */
export const imageFor = (image: string) => (image.startsWith('ticketing/') ? testRef(image.split(':')[0]!, 'runtime') : qualified(image));

export default async function setup(project: TestProject) {
  const engineName = chooseEngine();
  const engine = new Engine(engineName, join(resultsDir, 'engine.log'));
  say(`engine: ${engineName} (its output: .test-results/containers/engine.log)`);

  const workspace = new Workspace();
  const objects = workspace.overlay('dev');
  const natsAdminSeed = readFileSync(join(workspace.devSecrets, 'admin-nats.env'), 'utf8').trim().replace(/^NATS_NKEY_SEED=/, '');
  const specs = containerSpecs(objects, join(workspace.root, 'files')).map((s) =>
    // The dev overlay lifts the read-only root only for skaffold's file sync into dev images;
    // the production images run read-only, as the base and prod overlay say.
    s.image.startsWith('ticketing/') ? { ...s, readOnlyRoot: true } : s,
  );
  const artifacts = skaffoldArtifacts(root);
  const bases = [...dockerfileBases(root, artifacts), ...specs.map((s) => s.image).filter((i) => !i.startsWith('ticketing/'))];
  if (engineName === 'podman') await ensureStandins(engine, [...new Set(bases)], join(root, '.containers'), say);
  for (const base of new Set(bases.map(qualified))) say(`base ${base}: ${(await describeStandin(engine, base)) ?? 'pulled'}`);

  const images: BuiltImage[] = [];
  for (const artifact of artifacts) {
    for (const stage of ['runtime', 'dev'] as const) {
      const built = await buildImage(engine, root, artifact, stage);
      images.push(built);
      say(`built ${built.ref.padEnd(38)} ${(built.bytes / 1e6).toFixed(0).padStart(5)} MB  ${built.seconds.toFixed(0).padStart(4)} s`);
    }
  }

  const prefix = `ticketing-test-${process.pid}`;
  const system = new ContainerSystem(engine, prefix, imageFor);
  const teardown = async () => {
    await system.remove();
    workspace.remove();
  };
  try {
    say(`starting ${specs.length} containers on network ${system.network}`);
    await system.start(specs);
  } catch (err) {
    await teardown();
    throw err;
  }
  const frontDoor = specs.find((s) => s.workload === 'front-door');
  if (!frontDoor) throw new Error('the dev overlay has no front-door workload');
  project.provide('engine', engineName);
  project.provide('prefix', prefix);
  project.provide('specs', specs);
  project.provide('images', images);
  project.provide('natsAdminSeed', natsAdminSeed);
  project.provide('frontDoor', `http://127.0.0.1:${await system.hostPort('front-door', Object.values(frontDoor.ports)[0]!)}`);
  return teardown;
}
