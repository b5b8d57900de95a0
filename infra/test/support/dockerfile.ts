/** Dockerfiles: `dockerfile-utils lint`, and the rules every image here follows. */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { imageName, imageTag, isPinnedTag } from './k8s.js';

export interface Instruction {
  keyword: string;
  args: string[];
  /** With build arguments substituted. */
  raw: string;
  /** As written. */
  source: string;
  line: number;
  workdir: string;
}
export interface Stage {
  name?: string;
  from: string;
  instructions: Instruction[];
}

export type BuildArgs = Record<string, string>;

/** `$NAME`, `${NAME}` and `${NAME<op>word}` with op one of :- - :+ + :? ? */
const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;
/** The instructions' text: comment lines (which may quote syntax) left out. */
const withoutComments = (text: string) => text.replace(/^\s*#.*$/gm, '');
const unquote = (s: string) => s.replace(/^(["'])(.*)\1$/s, '$2');

/** `ARG A=1 B` -> [{A, '1'}, {B}] (a quoted default may hold spaces). */
function argDeclarations(argText: string): { name: string; default?: string }[] {
  return [...argText.matchAll(/([A-Za-z_][A-Za-z0-9_]*)(?:=("(?:[^"\\]|\\.)*"|'[^']*'|\S*))?/g)].map((m) => ({
    name: m[1]!,
    default: m[2] === undefined ? undefined : unquote(m[2]),
  }));
}

/** Every name the Dockerfile declares with ARG, in any scope. */
export function declaredArgs(text: string): Set<string> {
  return new Set([...withoutComments(text).matchAll(/^\s*ARG\s+(.+)$/gim)].flatMap((m) => argDeclarations(m[1]!).map((d) => d.name)));
}

/** Substitutes the ARGs of `declared` as the builder does: their value where in scope, empty elsewhere. */
function expand(text: string, scope: Map<string, string>, declared: Set<string>): string {
  return text.replace(VARIABLE, (match, braced: string | undefined, op: string | undefined, word = '', bare: string | undefined) => {
    const name = braced ?? bare!;
    if (!declared.has(name)) return match; // a shell or ENV variable: not the builder's to fill
    const value = scope.get(name);
    const set = op?.startsWith(':') ? !!value : value !== undefined;
    if (op?.endsWith('-')) return set ? value! : word;
    if (op?.endsWith('+')) return set ? word : '';
    return value ?? '';
  });
}

/**
 * Splits a Dockerfile into instructions (continuations joined, comments dropped), with the
 * build arguments substituted where an ARG puts them in scope (empty where none does, as
 * the builder leaves them), so that `COPY ${SERVICE}/ ${SERVICE}/` reads as it is built.
 */
export function parseDockerfile(text: string, buildArgs: BuildArgs = {}): Instruction[] {
  const declared = declaredArgs(text);
  const globals = new Map<string, string>();
  let scope = globals;
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
    const written = buffer.trim();
    buffer = '';
    const upper = written.split(/\s+/)[0]!.toUpperCase();
    if (upper === 'FROM') scope = new Map();
    if (upper === 'ARG')
      for (const d of argDeclarations(written.slice(3).trim())) {
        const inherited = scope === globals ? undefined : globals.get(d.name);
        scope.set(d.name, buildArgs[d.name] ?? inherited ?? expand(d.default ?? '', scope, declared));
      }
    const raw = expand(written, upper === 'FROM' ? globals : scope, declared);
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
    if (upper === 'FROM') {
      const words = args.filter((a) => !a.startsWith('--'));
      workdir = stageWorkdirs.get(words[0]!) ?? '/';
      const as = words.findIndex((a) => a.toUpperCase() === 'AS');
      stage = as >= 0 ? words[as + 1] : undefined;
    }
    if (upper === 'WORKDIR') workdir = args[0]!.startsWith('/') ? args[0]! : `${workdir.replace(/\/$/, '')}/${args[0]}`;
    if (stage) stageWorkdirs.set(stage, workdir);
    instructions.push({ keyword: upper, args, raw, source: written, line: start, workdir });
  });
  return instructions;
}

const caseCheck = (text: string, name: string) =>
  withoutComments(text).match(new RegExp(`case\\s+"?\\$\\{?${name}\\}?"?\\s+in\\s+([^)]+)\\)[\\s\\S]*?\\*\\)([\\s\\S]*?);;[\\s\\S]*?esac`));

/** The values a `RUN case "$NAME" in a|b|c) ;; *) ... exit 1 ;; esac` check lets through, if there is one. */
export function acceptedValues(text: string, name: string): string[] | undefined {
  return caseCheck(text, name)?.[1]!.split('|').map((v) => v.trim());
}

/**
 * Build arguments as one build passes them: each is declared by the Dockerfile; each the
 * Dockerfile requires (`${NAME:?why}`, or a `case "$NAME" in ...` check) is given, with a
 * value the check accepts; and no stage uses one it has not declared with ARG (the builder
 * leaves it empty there, and `COPY ${SERVICE}/ ...` silently copies the root).
 */
export function buildArgProblems(text: string, buildArgs: BuildArgs): string[] {
  const problems: string[] = [];
  const declared = declaredArgs(text);
  for (const name of Object.keys(buildArgs)) if (!declared.has(name)) problems.push(`build arg ${name} is not declared by the Dockerfile`);
  const required = new Map([...withoutComments(text).matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*):?\?([^}]*)\}/g)].map((m) => [m[1]!, m[2]!] as const));
  for (const [name, why] of required) if (!buildArgs[name]) problems.push(`build arg ${name} is missing${why ? `: ${why}` : ''}`);
  for (const name of declared) {
    const accepted = acceptedValues(text, name);
    const value = buildArgs[name];
    if (!accepted || required.has(name)) continue;
    if (!value) problems.push(`build arg ${name} is missing: the Dockerfile accepts ${accepted.join(', ')}`);
    else if (!accepted.includes(value)) problems.push(`build arg ${name}=${value} is not one the Dockerfile accepts (${accepted.join(', ')})`);
  }
  for (const s of dockerfileStages(parseDockerfile(text))) {
    const inScope = new Set<string>();
    for (const i of s.instructions.slice(1)) {
      if (i.keyword === 'ARG') for (const d of argDeclarations(i.source.slice(3).trim())) inScope.add(d.name);
      for (const m of i.source.matchAll(VARIABLE)) {
        const name = m[1] ?? m[4]!;
        if (declared.has(name) && !inScope.has(name)) {
          problems.push(`stage ${s.name ?? '?'}: uses ${name} without ARG ${name}, so it is empty there`);
          inScope.add(name); // once per stage
        }
      }
    }
  }
  return problems;
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
  /** The build arguments the image is built with (SERVICE for the services' shared Dockerfile). */
  buildArgs?: BuildArgs;
}

/**
 * The rules: every base image is node:<nodeVersion>-<variant>, one exact release; a non-root USER in
 * the final stage; a `dev` stage for skaffold; the final stage runs compiled JavaScript
 * (no tsx, ts-node, npx or dev server) and holds production dependencies only; the
 * workspace's dependencies come from the root lockfile with `npm ci`; the build arguments fit
 * the Dockerfile (buildArgProblems).
 */
export function imageRuleProblems(text: string, { workspace, nodeVersion, alsoCopies = [], buildArgs = {} }: ImageRules): string[] {
  const problems: string[] = buildArgProblems(text, buildArgs);
  const instructions = parseDockerfile(text, buildArgs);
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

/**
 * A Dockerfile shared by several services, one picked by `name` (SERVICE): a RUN check
 * (`case "$SERVICE" in a|b) ;; *) ... exit 1 ;; esac`) accepts exactly the services, no more,
 * no fewer, and stops the build for anything else, an empty (missing) value included; it
 * comes before the first instruction that uses the name in its stage.
 */
export function sharedDockerfileProblems(text: string, services: string[], name = 'SERVICE'): string[] {
  const problems: string[] = [];
  if (!declaredArgs(text).has(name)) return [`declares no ARG ${name}`];
  const check = caseCheck(text, name);
  const accepted = acceptedValues(text, name);
  if (!check || !accepted) return [`no RUN checks ${name} against the services`];
  if (!/\bexit\s+[1-9]/.test(check[2]!)) problems.push(`the ${name} check lets any other value through (its *) branch does not exit non-zero)`);
  for (const s of dockerfileStages(parseDockerfile(text))) {
    const uses = s.instructions.filter((i) => i.keyword !== 'ARG' && new RegExp(`\\$\\{?${name}\\b`).test(i.source));
    if (uses[0] && !caseCheck(uses[0].source, name) && s.instructions.some((i) => i.keyword === 'RUN' && caseCheck(i.source, name)))
      problems.push(`stage ${s.name ?? '?'}: uses ${name} before checking it`);
  }
  for (const v of accepted) if (!services.includes(v)) problems.push(`the ${name} check accepts ${v}, which is not a service`);
  for (const s of services) if (!accepted.includes(s)) problems.push(`the ${name} check rejects ${s}, a service`);
  return problems;
}
