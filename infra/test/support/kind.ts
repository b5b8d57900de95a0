/**
 * scripts/kind-e2e.sh against what it deploys: the images skaffold builds, the workloads the
 * dev overlay renders, the chain of ports from the host to the Gateway (infra/kind/), the
 * versions docs/deploy.md pins, and the workflow that runs it. Nothing here needs a cluster.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { K8sObject } from './kustomize.js';
import { repoRoot } from './repo.js';
import { pipelines, type SkaffoldConfig } from './skaffold.js';

/** The script's text and its top-level assignments: `NAME=value` and `NAME=( ... )`. */
export interface KindScript {
  text: string;
  vars: Record<string, string>;
  arrays: Record<string, string[]>;
}

export function parseScript(text: string): KindScript {
  const vars: Record<string, string> = {};
  const arrays: Record<string, string[]> = {};
  for (const m of text.matchAll(/^([A-Z][A-Z0-9_]*)=\(([^)]*)\)/gm))
    arrays[m[1]!] = m[2]!
      .split('\n')
      .map((line) => line.replace(/#.*/, ''))
      .flatMap((line) => line.split(/\s+/))
      .filter(Boolean);
  for (const m of text.matchAll(/^([A-Z][A-Z0-9_]*)=([^(\s][^\s#]*)/gm)) {
    // NAME="${NAME:-default}": the default is what a plain run uses.
    const value = m[2]!.replace(/^"(.*)"$/, '$1');
    vars[m[1]!] = value.match(/^\$\{\w+:-(.*)\}$/)?.[1] ?? value;
  }
  return { text, vars, arrays };
}

export const scriptPath = join(repoRoot, 'scripts', 'kind-e2e.sh');
export const readScript = (path = scriptPath) => parseScript(readFileSync(path, 'utf8'));

/**
 * A broken stand-in of the script: the real one with the replacements that
 * fixtures/broken/kind/scripts.json lists under `name`. A replacement whose text the script no
 * longer has throws, so the stand-ins cannot drift from the script unnoticed.
 */
export function brokenScript(fixturesPath: string, name: string): KindScript {
  const all = JSON.parse(readFileSync(fixturesPath, 'utf8')) as Record<string, { edits: [string, string][] }>;
  let text = readFileSync(scriptPath, 'utf8');
  for (const [find, replace] of all[name]!.edits) {
    if (!text.includes(find)) throw new Error(`broken script ${name}: scripts/kind-e2e.sh no longer has ${JSON.stringify(find)}`);
    text = text.replace(find, replace);
  }
  return parseScript(text);
}
export const readYaml = <T = any>(path: string) => parse(readFileSync(path, 'utf8')) as T;

/** The names the checks below read; each must be defined and used by the script, which deploys the dev pipeline. */
export const CHECKED = ['GATEWAY_API_VERSION', 'ENVOY_GATEWAY_VERSION', 'KIND_CONFIG', 'ENTRY_HOST', 'ENTRY_PORT', 'IMAGES', 'DEPLOYMENTS', 'STATEFULSETS'];

export function usageProblems(script: KindScript): string[] {
  const problems: string[] = [];
  for (const name of CHECKED) {
    if (!(name in script.vars) && !(name in script.arrays)) problems.push(`${name} is not assigned`);
    else if (!new RegExp(`\\$\\{?${name}\\b`).test(script.text)) problems.push(`${name} is assigned but never used`);
  }
  const runs = [...script.text.matchAll(/^[^#\n]*\bskaffold run\b([^\n]*)/gm)];
  if (runs.length === 0) problems.push('no `skaffold run`');
  for (const [, args] of runs)
    if (/(^|\s)(-p|--profile)(\s|=)/.test(args!)) problems.push(`skaffold run${args} picks a profile; kind runs the dev pipeline`);
  return problems;
}

/** The images the script checks on the node are exactly what skaffold's default (dev) pipeline builds. */
export function imageProblems(script: KindScript, skaffold: SkaffoldConfig): string[] {
  const built = (pipelines(skaffold)[0]!.pipeline.build?.artifacts ?? []).map((a) => a.image);
  const checked = script.arrays.IMAGES ?? [];
  return [
    ...checked.filter((i) => !built.includes(i)).map((i) => `the script checks image ${i}, which skaffold.yaml does not build`),
    ...built.filter((i) => !checked.includes(i)).map((i) => `skaffold.yaml builds ${i}, which the script does not check`),
  ];
}

/** The Deployments and StatefulSets the script waits for are exactly those of the dev overlay. */
export function workloadProblems(script: KindScript, dev: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const [kind, list] of [
    ['Deployment', 'DEPLOYMENTS'],
    ['StatefulSet', 'STATEFULSETS'],
  ] as const) {
    const rendered = dev.filter((o) => o.kind === kind).map((o) => o.metadata.name);
    const waited = script.arrays[list] ?? [];
    for (const name of waited.filter((n) => !rendered.includes(n))) problems.push(`the script waits for ${kind} ${name}, which the dev overlay does not render`);
    for (const name of rendered.filter((n) => !waited.includes(n))) problems.push(`the dev overlay renders ${kind} ${name}, which the script does not wait for`);
  }
  return problems;
}

interface PortMapping {
  containerPort: number;
  hostPort?: number;
}
interface ServicePortPatch {
  port: number;
  nodePort?: number;
}
/** infra/kind/: the cluster config, the EnvoyProxy and the patch that attaches it to the GatewayClass. */
export interface KindFiles {
  cluster: { nodes?: { extraPortMappings?: PortMapping[] }[] };
  envoyProxy: K8sObject & {
    spec?: { provider?: { kubernetes?: { envoyService?: { type?: string; patch?: { value?: { spec?: { ports?: ServicePortPatch[] } } } } } } };
  };
  classPatch: { spec?: { parametersRef?: { group?: string; kind?: string; name?: string; namespace?: string } } };
}

export const kindDir = join(repoRoot, 'infra', 'kind');
export const readKindFiles = (dir = kindDir, cluster = join(dir, 'cluster.yaml')): KindFiles => ({
  cluster: readYaml(cluster),
  envoyProxy: readYaml(join(dir, 'envoy-proxy.yaml')),
  classPatch: readYaml(join(dir, 'gateway-class-patch.yaml')),
});

/**
 * The chain from the tests to the Gateway holds: http://ENTRY_HOST:ENTRY_PORT -> the kind
 * node's port mapping -> the EnvoyProxy's NodePort -> its Service port -> a listener of the
 * dev overlay's Gateway, whose HTTPRoute answers ENTRY_HOST; the GatewayClass patch names
 * that EnvoyProxy.
 */
export function entryPointProblems(script: KindScript, files: KindFiles, dev: K8sObject[]): string[] {
  const problems: string[] = [];
  const hostPort = Number(script.vars.ENTRY_PORT);
  const mappings = (files.cluster.nodes ?? []).flatMap((n) => n.extraPortMappings ?? []);
  const mapping = mappings.find((m) => m.hostPort === hostPort);
  const service = files.envoyProxy.spec?.provider?.kubernetes?.envoyService;
  const ports = service?.patch?.value?.spec?.ports ?? [];
  if (service?.type !== 'NodePort') problems.push(`the EnvoyProxy's Service is ${service?.type ?? 'of no type'}, not NodePort: kind has no load balancer`);
  const proxyPort = mapping && ports.find((p) => p.nodePort === mapping.containerPort);
  if (!mapping) problems.push(`the kind config maps no node port to host port ${hostPort}, where the script reaches the entry point`);
  else if (!proxyPort)
    problems.push(`host port ${hostPort} maps to node port ${mapping.containerPort}, which the EnvoyProxy's Service does not open (it opens ${ports.map((p) => p.nodePort).join(', ') || 'none'})`);

  const gateways = dev.filter((o) => o.kind === 'Gateway') as (K8sObject & { spec: { gatewayClassName: string; listeners: { port: number; protocol: string }[] } })[];
  const listeners = gateways.flatMap((g) => g.spec.listeners.filter((l) => l.protocol === 'HTTP').map((l) => ({ gateway: g.metadata.name, port: l.port })));
  if (proxyPort && !listeners.some((l) => l.port === proxyPort.port))
    problems.push(`node port ${proxyPort.nodePort} is for Service port ${proxyPort.port}, which no HTTP listener of the dev overlay's Gateway has (${listeners.map((l) => `${l.gateway}:${l.port}`).join(', ')})`);

  const routes = dev.filter((o) => o.kind === 'HTTPRoute') as (K8sObject & { spec: { hostnames?: string[] } })[];
  const host = script.vars.ENTRY_HOST;
  if (!routes.some((r) => !r.spec.hostnames || r.spec.hostnames.includes(host!)))
    problems.push(`no HTTPRoute of the dev overlay answers host ${host} (${routes.flatMap((r) => r.spec.hostnames ?? []).join(', ')})`);

  const ref = files.classPatch.spec?.parametersRef;
  const proxy = files.envoyProxy;
  if (ref?.group !== 'gateway.envoyproxy.io' || ref.kind !== 'EnvoyProxy' || ref.name !== proxy.metadata.name || ref.namespace !== proxy.metadata.namespace)
    problems.push(
      `the GatewayClass patch refers to ${ref?.kind}/${ref?.namespace}/${ref?.name}, not the EnvoyProxy ${proxy.metadata.namespace}/${proxy.metadata.name}`,
    );
  return problems;
}

/** The Gateway API and Envoy Gateway versions that docs/deploy.md's install commands pin. */
export function docVersions(markdown: string) {
  const all = (re: RegExp) => [...new Set([...markdown.matchAll(re)].map((m) => m[1]!))];
  return {
    gatewayApi: all(/gateway-api\/releases\/download\/(v[\d.]+)\/standard-install\.yaml/g),
    envoyGateway: all(/envoyproxy\/gateway-(?:crds-)?helm --version (v[\d.]+)/g),
  };
}

export function versionProblems(script: KindScript, markdown: string): string[] {
  const docs = docVersions(markdown);
  const problems: string[] = [];
  for (const [name, pinned, label] of [
    ['GATEWAY_API_VERSION', docs.gatewayApi, 'the Gateway API'],
    ['ENVOY_GATEWAY_VERSION', docs.envoyGateway, 'Envoy Gateway'],
  ] as const) {
    if (pinned.length !== 1) problems.push(`docs/deploy.md pins ${label} at ${pinned.length === 0 ? 'no version' : pinned.join(' and ')}`);
    else if (script.vars[name] !== pinned[0]) problems.push(`the script installs ${label} ${script.vars[name]}, docs/deploy.md pins ${pinned[0]}`);
  }
  return problems;
}

interface WorkflowStep {
  run?: string;
  uses?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
}
export interface Workflow {
  jobs: Record<string, { steps?: WorkflowStep[] }>;
}

/** The workflow runs the script, makes ENTRY_HOST resolve, and uploads, on failure, the directory the script dumps into. */
export function workflowProblems(workflow: Workflow, script: KindScript): string[] {
  const steps = Object.values(workflow.jobs).flatMap((j) => j.steps ?? []);
  const problems: string[] = [];
  const runStep = steps.find((s) => /(^|\s)(\.\/)?scripts\/kind-e2e\.sh\b/.test(s.run ?? ''));
  if (!runStep) return ['no step runs scripts/kind-e2e.sh'];
  const host = script.vars.ENTRY_HOST;
  const hostsLine = steps.slice(0, steps.indexOf(runStep)).some((s) => new RegExp(`127\\.0\\.0\\.1\\s+${host?.replace(/\./g, '\\.')}\\b`).test(s.run ?? ''));
  if (!hostsLine) problems.push(`no step before the script points ${host} at 127.0.0.1`);
  const dumpDir = runStep.env?.DUMP_DIR ?? script.vars.DUMP_DIR;
  const upload = steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
  if (!upload) problems.push('no step uploads the dump');
  else {
    if (upload.with?.path !== dumpDir) problems.push(`the upload takes ${String(upload.with?.path)}, the script dumps into ${dumpDir}`);
    if (!/failure\(\)/.test(upload.if ?? '')) problems.push('the dump is uploaded without `if: failure()`');
  }
  return problems;
}
