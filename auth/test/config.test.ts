import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { ConfigError, loadConfig } from '@ticketing/common';
import { testKeys } from '@ticketing/testkit';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../src/config.js';

const base = {
  PORT: '3001',
  DATABASE_URL: 'postgres://localhost/auth',
  JWT_PUBLIC_KEY: testKeys.publicKeyPem,
  JWT_PRIVATE_KEY: testKeys.privateKeyPem,
};

const problemsWith = (env: Record<string, string | undefined>) => {
  try {
    loadConfig(configSchema, env);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
};

const pkcs8 = ({ privateKey }: { privateKey: KeyObject }) =>
  privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const otherKeys = {
  rsa: pkcs8(generateKeyPairSync('rsa', { modulusLength: 2048 })),
  ec: pkcs8(generateKeyPairSync('ec', { namedCurve: 'P-256' })),
  ed25519: pkcs8(generateKeyPairSync('ed25519')),
};

describe('auth configuration', () => {
  it('when the key pair is a matching Ed25519 pair, then it loads with the private key', () => {
    const config = loadConfig(configSchema, base);

    expect(config.JWT_PRIVATE_KEY).toBe(testKeys.privateKeyPem);
    expect(config.NODE_ENV).toBe('development');
  });

  it('when the private key arrives with literal "\\n" (one-line env var), then it is restored', () => {
    const config = loadConfig(configSchema, { ...base, JWT_PRIVATE_KEY: testKeys.privateKeyPem.replace(/\n/g, '\\n') });

    expect(config.JWT_PRIVATE_KEY).toBe(testKeys.privateKeyPem);
  });

  it.each<[string, string | undefined, string]>([
    ['missing', undefined, 'JWT_PRIVATE_KEY: is required (a PEM PKCS8 Ed25519 private key)'],
    ['not PEM', 'secret', 'JWT_PRIVATE_KEY: must be a PEM PKCS8 private key ("BEGIN PRIVATE KEY")'],
    ['a public key', testKeys.publicKeyPem, 'JWT_PRIVATE_KEY: must be a PEM PKCS8 private key ("BEGIN PRIVATE KEY")'],
    ['a PEM with a broken body', '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n', 'JWT_PRIVATE_KEY: must be an Ed25519 private key'],
    ['an RSA key', otherKeys.rsa, 'JWT_PRIVATE_KEY: must be an Ed25519 private key'],
    ['an EC P-256 key', otherKeys.ec, 'JWT_PRIVATE_KEY: must be an Ed25519 private key'],
    ['an Ed25519 key from another pair', otherKeys.ed25519, 'JWT_PRIVATE_KEY: does not match any key in JWT_PUBLIC_KEY'],
  ])('when JWT_PRIVATE_KEY is %s, then loading fails naming it', (_case, value, problem) => {
    const problems = problemsWith({ ...base, JWT_PRIVATE_KEY: value });

    expect(problems).toEqual([problem]);
  });

  it('when COOKIE_SECURE is not a boolean word, then loading fails naming it', () => {
    expect(problemsWith({ ...base, COOKIE_SECURE: 'sometimes' })).toEqual([expect.stringMatching(/^COOKIE_SECURE: /)]);
  });
});
