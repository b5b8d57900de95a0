/** Dockerfiles: `dockerfile-utils lint`, and the rules every image here follows. */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { imageName, imageTag, isPinnedTag } from './k8s.js';

export interface Instruction {
  keyword: string;
  args: string[];
  raw: string;
  line: number;
  workdir: string;
}
export interface Stage {
  name?: string;
  from: string;
  instructions: Instruction[];
}

/** Splits a Dockerfile into instructions (continuations joined, comments dropped). */
export function parseDockerfile(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let buffer = '';
  let start = 0;
  let workdir = '/';
  let stage: string | undefined;
  const stageWorkdirs = new Map<string, string>(); // a stage built FROM another keeps its WORKDIR
  text.split('\n').forEach((line, i) => {
    if (buffer === '' && (/^\s*#/.test(line) || line.trim() === '')) return;
    if (buffer === '') start = i + 1;
    if (/^\s*#/.test(line)) return; // comment inside a continued instruction
    if (line.endsWith('\\')) {
      buffer += line.slice(0, -1) + ' ';
      return;
    }
    buffer += line;
    const raw = buffer.trim();
    buffer = '';
    const [keyword, ...rest] = raw.split(/\s+/);
    const argText = raw.slice(keyword!.length).trim();
    let args: string[];
    if (argText.startsWith('[')) {
      try {
        args = JSON.parse(argText) as string[];
      } catch {
        args = rest;
      }
    } else args = rest;
    const upper = keyword!.toUpperCase();
    if (upper === 'FROM') {
      const words = args.filter((a) => !a.startsWith('--'));
      workdir = stageWorkdirs.get(words[0]!) ?? '/';
      const as = words.findIndex((a) => a.toUpperCase() === 'AS');
      stage = as >= 0 ? words[as + 1] : undefined;
    }
    if (upper === 'WORKDIR') workdir = args[0]!.startsWith('/') ? args[0]! : `${workdir.replace(/\/$/, '')}/${args[0]}`;
    if (stage) stageWorkdirs.set(stage, workdir);
    instructions.push({ keyword: upper, args, raw, line: start, workdir });
  });
  return instructions;
}

export function dockerfileStages(instructions: Instruction[]): Stage[] {
  const stages: Stage[] = [];
  for (const i of instructions) {
    if (i.keyword === 'FROM') {
      const args = i.args.filter((a) => !a.startsWith('--'));
      const as = args.findIndex((a) => a.toUpperCase() === 'AS');
      stages.push({ from: args[0]!, name: as >= 0 ? args[as + 1] : undefined, instructions: [i] });
    } else stages.at(-1)?.instructions.push(i);
  }
  return stages;
}

/** `dockerfile-utils lint --json FILE`, the package's own CLI: its diagnostics, warnings included. */
export function lint(path: string): string[] {
  const cli = createRequire(import.meta.url).resolve('dockerfile-utils/bin/dockerfile-utils');
  const result = spawnSync(process.execPath, [cli, 'lint', '--json', path], { encoding: 'utf8' });
  const diagnostics = JSON.parse(result.stdout || '[]') as { message: string; severity: string; range: { start: { line: number } } }[];
  const problems = diagnostics.map((d) => `line ${d.range.start.line + 1}: ${d.severity}: ${d.message}`);
  if (result.status !== 0 && problems.length === 0) problems.push(`dockerfile-utils failed: ${result.stderr}`);
  return problems;
}

export interface ImageRules {
  /** The workspace the image is built for (auth, client, ...). */
  workspace: string;
  /** The Node.js release every image runs (the repository's .nvmrc). */
  nodeVersion: string;
  /** Other workspaces the build context must bring in (contracts and, for the services, common). */
  alsoCopies?: string[];
}

/**
 * The rules: every base image is node:<nodeVersion>-<variant>, one exact release; a non-root USER in
 * the final stage; a `dev` stage for skaffold; the final stage runs compiled JavaScript
 * (no tsx, ts-node, npx or dev server) and holds production dependencies only; the
 * workspace's dependencies come from the root lockfile with `npm ci`.
 */
export function imageRuleProblems(text: string, { workspace, nodeVersion, alsoCopies = [] }: ImageRules): string[] {
  const problems: string[] = [];
  const instructions = parseDockerfile(text);
  const stages = dockerfileStages(instructions);
  const names = new Set(stages.map((s) => s.name).filter(Boolean));
  if (stages.length < 2) problems.push('is not multi-stage');
  for (const s of stages) {
    if (names.has(s.from)) continue;
    const tag = imageTag(s.from);
    if (imageName(s.from) !== 'node' || !isPinnedTag(tag) || !tag!.startsWith(`${nodeVersion}-`))
      problems.push(`stage ${s.name ?? '?'}: base image ${s.from} is not node:${nodeVersion} (.nvmrc)`);
  }
  if (!names.has('dev')) problems.push('has no dev stage for skaffold dev');
  const dev = stages.find((s) => s.name === 'dev');
  const devCmd = dev?.instructions.filter((i) => i.keyword === 'CMD').at(-1)?.args.join(' ') ?? '';
  if (dev && !/--watch|tsx watch|next dev/.test(devCmd)) problems.push(`dev stage: CMD "${devCmd}" does not watch its sources`);

  const final = stages.at(-1);
  if (!final) return problems;
  const lastUser = final.instructions.filter((i) => i.keyword === 'USER').at(-1)?.args[0];
  if (!lastUser || /^(root|0)(:|$)/.test(lastUser)) problems.push(`final stage: runs as ${lastUser ?? 'root (no USER)'}`);
  const cmd = final.instructions.filter((i) => i.keyword === 'CMD' || i.keyword === 'ENTRYPOINT').map((i) => i.args.join(' ')).join(' ');
  if (!cmd) problems.push('final stage: no CMD');
  if (/\btsx\b|ts-node|npx|npm |next (dev|start)|\.ts\b|--conditions=source/.test(cmd))
    problems.push(`final stage: runs "${cmd}", not compiled JavaScript`);
  const finalRuns = final.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.raw).join('\n');
  const copiesBuilt = final.instructions.some((i) => i.keyword === 'COPY' && i.args.some((a) => a.startsWith('--from=')));
  if (!copiesBuilt) problems.push('final stage: copies nothing from a build stage');
  if (/npm (ci|install)/.test(finalRuns) && !/--omit=dev/.test(finalRuns) && !/npm prune/.test(finalRuns))
    problems.push('final stage: installs dependencies without leaving out dev dependencies');
  const ci = instructions.filter((i) => i.keyword === 'RUN' && /npm ci/.test(i.raw));
  if (ci.length === 0) problems.push('never runs npm ci (the root lockfile)');
  if (!instructions.some((i) => i.keyword === 'COPY' && i.args.includes('package-lock.json')))
    problems.push('does not copy the root package-lock.json');
  for (const ws of [workspace, ...alsoCopies])
    if (!instructions.some((i) => i.keyword === 'COPY' && !i.args.some((a) => a.startsWith('--from')) && i.args.some((a) => a.startsWith(`${ws}/`))))
      problems.push(`does not copy ${ws}/ from the context`);
  return problems;
}
