/**
 * No secret is committed and none can reach an image: every tracked text file is scanned for
 * private keys, tokens and cloud or payment keys; every Dockerfile is checked for secrets in
 * ENV/ARG or COPY; the .dockerignore must keep keys, env files and local data out of the build
 * context. (infra/test/dockerfiles.test.ts checks the .dockerignore lines for installs, builds,
 * .data, .git, .env and the dev secrets folder; this adds what a secret could be named anywhere.)
 * Each rule is also shown catching a planted example, so a scan that finds nothing means something.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { genuineToken } from './forged-tokens.js';
import { dockerfileSecretProblems, findSecrets, isDockerIgnored } from './secret-scan.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' }).split('\0').filter(Boolean);

/**
 * Findings that are not secrets, each with its reason. Keep it short: a real key never belongs here.
 * (Empty: the test fixtures that need keys generate them at run time, see testkit/src/.)
 */
const allowed: { path: string; kind: string; why: string }[] = [];

const isAllowed = (f: { path: string; kind: string }) => allowed.some((a) => a.path === f.path && a.kind === f.kind);

describe('no secret is committed', () => {
  it('when every tracked text file is scanned, then none holds a private key, a token, a Stripe or AWS key, or a password in an env file', () => {
    const findings = tracked.flatMap((path) => {
      let content: Buffer;
      try {
        content = readFileSync(join(root, path));
      } catch {
        return []; // deleted in the working tree, not yet committed
      }
      if (content.includes(0)) return []; // binary
      return findSecrets(path, content.toString('utf8')).filter((f) => !isAllowed(f));
    });

    expect(findings).toEqual([]);
    expect(tracked.length).toBeGreaterThan(100);
  });

  it('then every allow-list entry still matches something (no stale exceptions)', () => {
    for (const a of allowed) {
      expect(findSecrets(a.path, readFileSync(join(root, a.path), 'utf8')).some((f) => f.kind === a.kind), a.path).toBe(true);
    }
  });

  const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const rsaPem = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const alnum = (n: number) => 'aB3dE5fG7hJ9kL2mN4pQ6rS8tU1vW3xY5z'.repeat(4).slice(0, n);
  it.each([
    ['a PEM private key', 'keys/dev.pem', pem, 'PEM private key'],
    ['an RSA PEM private key', 'docs/setup.md', `Use this:\n${rsaPem}`, 'PEM private key'],
    ['a PEM private key inside a string', 'src/key.ts', `const k = ${JSON.stringify(pem)};`, 'PEM private key'],
    ['a JWT', 'test/fixture.json', `{"cookie": "${genuineToken({ id: '7c1f1f1e-1111-4111-8111-111111111111', email: 'a@example.com' })}"}`, 'JWT'],
    ['a Stripe live key', 'payments/.env.example', `STRIPE_KEY=sk_live_${alnum(24)}`, 'Stripe live key'],
    ['a real-looking Stripe test key', 'payments/src/config.ts', `const key = 'sk_test_${alnum(30)}';`, 'Stripe secret test key'],
    ['an AWS access key id', 'infra/deploy.sh', `export AWS_ACCESS_KEY_ID=${['AKIA', 'IOSFODNN7EXAMPLE'].join('')}`, 'AWS access key id'],
    ['an AWS secret key', 'home/.aws/credentials', `aws_secret_access_key = ${'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'}`, 'AWS secret access key'],
    ['a password in an env file', 'auth/.env', 'POSTGRES_PASSWORD=hunter2hunter2', 'value for POSTGRES_PASSWORD'],
    ['a secret in compose YAML', 'compose.yaml', '    environment:\n      STRIPE_SECRET_KEY: abc123', 'value for STRIPE_SECRET_KEY'],
    ['a literal Kubernetes env value', 'infra/k8s/x.yaml', '- name: POSTGRES_PASSWORD\n  value: postgres', 'value for POSTGRES_PASSWORD'],
    ['a literal in a workflow', '.github/workflows/ci.yml', '    env:\n      POSTGRES_PASSWORD: postgres', 'value for POSTGRES_PASSWORD'],
    ['a literal inside a workflow expression', '.github/workflows/ci.yml', "      API_TOKEN: ${{ secrets.API_TOKEN || 'tok3n-fallback' }}", 'value for API_TOKEN'],
  ])('when a file holds %s, then the scan names its path and line', (_, path, text, kind) => {
    expect(findSecrets(path, text)).toContainEqual({ path, line: expect.any(Number), kind });
  });

  it.each([
    ['a PEM header without a key (a validation test)', 'auth/test/config.test.ts', "'-----BEGIN PRIVATE KEY-----\\nAAAA\\n-----END PRIVATE KEY-----\\n'"],
    ['a public key', 'keys/public.pem', generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString()],
    ['a short placeholder Stripe key', 'payments/test/config.test.ts', "STRIPE_SECRET_KEY: 'sk_test_abc123'"],
    ['a reference to the environment in compose', 'compose.yaml', 'STRIPE_SECRET_KEY: ${STRIPE_SECRET_KEY:-}'],
    ['a workflow\'s reference to a secret or a variable', '.github/workflows/deploy.yml', '      API_TOKEN: ${{ secrets.API_TOKEN }}\n      PULL_SECRET: ${{ vars.PULL_SECRET }}'],
    ['a Kubernetes secret reference', 'infra/k8s/a.yaml', '- name: POSTGRES_PASSWORD\n  valueFrom:\n    secretKeyRef: {name: db, key: POSTGRES_PASSWORD}'],
    ['an empty value in an env file', '.env.example', 'STRIPE_SECRET_KEY='],
    ['a public key setting', 'auth.env', 'JWT_PUBLIC_KEY=-----BEGIN PUBLIC KEY-----'],
  ])('when a file holds %s, then the scan lets it be', (_, path, text) => {
    expect(findSecrets(path, text)).toEqual([]);
  });
});

describe('no secret is baked into an image', () => {
  const dockerfiles = tracked.filter((p) => /(^|\/)Dockerfile$/.test(p));
  const dockerignore = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n');

  it('when every Dockerfile is read, then none sets a secret in ENV or ARG, copies keys, env files or local data, or copies the whole context', () => {
    // The services' one Dockerfile at the root and the client's.
    expect(dockerfiles).toEqual(expect.arrayContaining(['Dockerfile', 'client/Dockerfile']));
    for (const path of dockerfiles) {
      expect({ path, problems: dockerfileSecretProblems(readFileSync(join(root, path), 'utf8')) }).toEqual({ path, problems: [] });
    }
  });

  it('when a Dockerfile breaks that, then each problem is named', () => {
    const broken = [
      'FROM node:24.22.3-bookworm-slim',
      'ARG STRIPE_SECRET_KEY',
      'ENV NODE_ENV=production JWT_PRIVATE_KEY=abc',
      'ENV DB_PASSWORD hunter2',
      'COPY .data/keys/session-private.pem /app/',
      'COPY --chown=node:node auth/.env auth/',
      'COPY . .',
      'COPY --from=build /app/dist dist',
      'ENV JWT_PUBLIC_KEY=pub PORT=3000',
    ].join('\n');

    expect(dockerfileSecretProblems(broken)).toEqual([
      'ARG STRIPE_SECRET_KEY: a secret in the image or its history',
      'ENV JWT_PRIVATE_KEY: a secret in the image or its history',
      'ENV DB_PASSWORD: a secret in the image or its history',
      'COPY .data/keys/session-private.pem: copies secrets',
      'COPY auth/.env: copies secrets',
      'COPY .: copies the whole context',
    ]);
  });

  /** Where keys and settings can land: what npm start and make-dev-secrets.sh write, and what a developer might drop. */
  const secretPaths = [
    '.data/keys/session-private.pem',
    '.env',
    '.env.local',
    'auth/.env',
    'auth/.env.production',
    'payments/.env.local',
    'auth/dev-key.pem',
    'common/src/session.key',
    'infra/k8s/overlays/dev/secrets/jwt-private.env',
  ];

  it('when the .dockerignore is applied, then every place a key or env file can land is out of the build context, and the sources stay in', () => {
    expect(secretPaths.filter((p) => !isDockerIgnored(dockerignore, p))).toEqual([]);
    expect(['auth/src/main.ts', 'common/package.json', 'package-lock.json'].filter((p) => isDockerIgnored(dockerignore, p))).toEqual([]);
  });

  it('when a .dockerignore leaves them in, then the check shows which', () => {
    const weak = ['.env', 'node_modules', '!auth/.env'];

    expect(secretPaths.filter((p) => !isDockerIgnored(weak, p))).toEqual(secretPaths.filter((p) => p !== '.env'));
    expect(isDockerIgnored(['**/*.pem'], 'a/b/c.pem')).toBe(true);
    expect(isDockerIgnored(['.data'], '.data/keys/x.pem')).toBe(true);
    expect(isDockerIgnored(['*.pem'], 'auth/x.pem')).toBe(false);
  });
});
