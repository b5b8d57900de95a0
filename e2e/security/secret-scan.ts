/**
 * What a committed secret looks like, and how the Docker build context keeps secrets out.
 * Used by secrets.test.ts on every tracked file, every Dockerfile and the .dockerignore.
 */
import { basename } from 'node:path';

export interface Finding {
  path: string;
  line: number;
  kind: string;
}

/** Names that hold a secret when they carry a value (JWT_PUBLIC_KEY, for one, does not). */
export const SECRET_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|PRIVATE_KEY|API_KEY|ACCESS_KEY|CREDENTIAL)/i;

const patterns: { kind: string; regex: RegExp }[] = [
  // A header alone (as in tests of key validation) is not a key: it needs a real body.
  {
    kind: 'PEM private key',
    regex: /-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----(?:\s|\\n|\\r)*(?:[A-Za-z0-9+/=]{16,}(?:\s|\\n|\\r)*){3,}/,
  },
  { kind: 'JWT', regex: /\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{20,}/ },
  { kind: 'Stripe live key', regex: /\b(?:sk|rk|pk)_live_[0-9A-Za-z]{10,}/ },
  // Stripe's secret keys carry 24 or more alphanumerics after the prefix; shorter ones are placeholders.
  { kind: 'Stripe secret test key', regex: /\b(?:sk|rk)_test_[0-9A-Za-z]{24,}/ },
  { kind: 'Stripe webhook secret', regex: /\bwhsec_[0-9A-Za-z]{24,}/ },
  { kind: 'AWS access key id', regex: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/ },
  { kind: 'AWS secret access key', regex: /aws_secret_access_key\s*[=:]\s*["']?[A-Za-z0-9/+=]{40}/i },
];

/** `.env`, `.env.local`, `auth-db.env`: files that hold settings as NAME=value. */
export const isEnvFile = (path: string) => /^\.env(\..+)?$|\.env$/.test(basename(path));

/**
 * A value that only points elsewhere holds no secret: empty, `${VAR}`, `$VAR`, or a GitHub
 * Actions expression that names a secret, a variable, an input or an output
 * (`${{ secrets.TOKEN }}`; an expression with a literal in it is not one).
 */
const isReference = (value: string) =>
  /^["']?(\$\{[^}]*\}|\$[A-Z_]+|\$\{\{\s*(?:secrets|vars|env|inputs|steps|needs|github)\.[\w.-]+\s*\}\})?["']?$/.test(value.trim());

/** Every secret-looking thing in one file's text, with its line number. */
export function findSecrets(path: string, text: string): Finding[] {
  const findings: Finding[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    for (const { kind, regex } of patterns) {
      // A PEM body spans lines: look from this line on.
      const subject = kind === 'PEM private key' ? lines.slice(i, i + 6).join('\n') : line;
      if (regex.test(subject) && (kind !== 'PEM private key' || line.includes('-----BEGIN'))) findings.push({ path, line: i + 1, kind });
    }
    // NAME=value in env files; `NAME: value` and `- name: NAME` + `value:` in compose and Kubernetes YAML.
    const assignment = isEnvFile(path)
      ? /^\s*(?:export\s+)?([A-Za-z_][\w]*)\s*=\s*(.*)$/.exec(line)
      : /\.ya?ml$/.test(path)
        ? /^\s*-?\s*([A-Z][A-Z0-9_]*)\s*:\s*(.*)$/.exec(line) // environment names, not Kubernetes fields
        : null;
    if (assignment && SECRET_NAME.test(assignment[1]!) && !isReference(assignment[2]!) && !/^[|>]/.test(assignment[2]!)) {
      findings.push({ path, line: i + 1, kind: `value for ${assignment[1]}` });
    }
    const named = /^\s*-\s*name:\s*["']?([A-Z][A-Z0-9_]*)["']?\s*$/.exec(line);
    if (named && SECRET_NAME.test(named[1]!) && /^\s*value:\s*\S/.test(lines[i + 1] ?? '') && !isReference(lines[i + 1]!.replace(/^\s*value:/, ''))) {
      findings.push({ path, line: i + 2, kind: `value for ${named[1]}` });
    }
  });
  return findings;
}

/**
 * Whether the .dockerignore `patterns` leave `path` out of the build context: Docker's rules,
 * patterns anchored at the root, `*` within a segment, `**` across segments, an ignored
 * directory takes its contents along, a later `!pattern` brings a path back.
 */
export function isDockerIgnored(patterns: string[], path: string): boolean {
  let ignored = false;
  for (const raw of patterns.map((p) => p.trim()).filter((p) => p && !p.startsWith('#'))) {
    const negate = raw.startsWith('!');
    const regex = globToRegex((negate ? raw.slice(1) : raw).replace(/^\/+/, '').replace(/\/+$/, ''));
    const segments = path.split('/');
    const matches = segments.some((_, i) => regex.test(segments.slice(0, i + 1).join('/')));
    if (matches) ignored = !negate;
  }
  return ignored;
}

function globToRegex(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      const slash = glob[i + 2] === '/';
      out += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/** Dockerfile instructions that would bake a secret into an image. */
export function dockerfileSecretProblems(text: string): string[] {
  const problems: string[] = [];
  const instructions = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  for (const instruction of instructions) {
    const [keyword = '', ...args] = instruction.split(/\s+/);
    const upper = keyword.toUpperCase();
    if (upper === 'ENV' || upper === 'ARG') {
      // `ENV A=1 B=2`, `ENV A 1`, `ARG A`, `ARG A=default`.
      const names = args.some((a) => a.includes('=')) ? args.filter((a) => a.includes('=')).map((a) => a.split('=')[0]!) : args.slice(0, 1);
      for (const name of names) if (SECRET_NAME.test(name)) problems.push(`${upper} ${name}: a secret in the image or its history`);
    }
    if (upper === 'COPY' || upper === 'ADD') {
      if (args.some((a) => a.startsWith('--from'))) continue;
      const sources = args.filter((a) => !a.startsWith('--')).slice(0, -1);
      for (const src of sources) {
        if (/(^|\/)(\.env(\..*)?|\.data|secrets?|keys?)(\/|$)|\.(pem|key)$/.test(src)) problems.push(`${upper} ${src}: copies secrets`);
        if (src === '.' || src === './') problems.push(`${upper} ${src}: copies the whole context`);
      }
    }
  }
  return problems;
}
