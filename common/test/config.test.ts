import { describe, expect, it } from 'vitest';
import { baseConfigSchema, ConfigError, loadConfig } from '../src/config/env.js';
import { testKeys } from '@ticketing/testkit';

const valid = {
  PORT: '3000',
  DATABASE_URL: 'postgres://u@localhost:5432/tickets',
  JWT_PUBLIC_KEY: testKeys.publicKeyPem,
};

describe('configuration', () => {
  it('when every variable is valid, then it is typed and defaults are filled in', () => {
    const config = loadConfig(baseConfigSchema, valid);
    expect(config).toMatchObject({
      PORT: 3000,
      NATS_URL: 'nats://127.0.0.1:4222',
      NATS_STREAM: 'TICKETING',
      NATS_SUBJECT_PREFIX: '',
      NODE_ENV: 'development',
      DATABASE_POOL_SIZE: 10,
    });
  });

  it('when DATABASE_POOL_SIZE is given, then it is a whole number of at least 1', () => {
    expect(loadConfig(baseConfigSchema, { ...valid, DATABASE_POOL_SIZE: '4' }).DATABASE_POOL_SIZE).toBe(4);
    expect(() => loadConfig(baseConfigSchema, { ...valid, DATABASE_POOL_SIZE: '0' })).toThrow(/DATABASE_POOL_SIZE/);
    expect(() => loadConfig(baseConfigSchema, { ...valid, DATABASE_POOL_SIZE: 'many' })).toThrow(/DATABASE_POOL_SIZE/);
  });

  it('when NATS_NKEY_SEED is given, then only a user nkey seed is taken (a public key or an account seed is refused by name)', () => {
    const seed = 'SUAIBDPBAUTWCWBKIO6XHQNINK5FWJW4OHLXC3HQ2KFE4PEJUA44CNHTC4';
    expect(loadConfig(baseConfigSchema, { ...valid, NATS_NKEY_SEED: seed }).NATS_NKEY_SEED).toBe(seed);
    expect(() => loadConfig(baseConfigSchema, { ...valid, NATS_NKEY_SEED: 'UD2TW4A6LZEYNOHERJLADWVVNUI62TWHWCZQUED54EAB4JQVXY67OSWL' })).toThrow(
      /NATS_NKEY_SEED: must be a NATS user nkey seed/,
    );
    expect(() => loadConfig(baseConfigSchema, { ...valid, NATS_NKEY_SEED: `SA${seed.slice(2)}` })).toThrow(/NATS_NKEY_SEED/);
  });

  it('when a variable is missing or bad, then loading fails with a message naming each one', () => {
    const attempt = () =>
      loadConfig(baseConfigSchema, { ...valid, PORT: 'eighty', DATABASE_URL: undefined, NATS_SUBJECT_PREFIX: 'no-dot' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/PORT:/);
    expect(attempt).toThrow(/DATABASE_URL:/);
    expect(attempt).toThrow(/NATS_SUBJECT_PREFIX:/);
  });

  it('when a PEM key arrives with escaped newlines, then they are restored', () => {
    const escaped = testKeys.publicKeyPem.replace(/\n/g, '\\n');
    expect(loadConfig(baseConfigSchema, { ...valid, JWT_PUBLIC_KEY: escaped }).JWT_PUBLIC_KEY).toBe(
      testKeys.publicKeyPem,
    );
  });

  it('when COOKIE_SECURE is given, then it is read as a boolean', () => {
    expect(loadConfig(baseConfigSchema, { ...valid, COOKIE_SECURE: 'true' }).COOKIE_SECURE).toBe(true);
    expect(() => loadConfig(baseConfigSchema, { ...valid, COOKIE_SECURE: 'maybe' })).toThrow(/COOKIE_SECURE/);
  });
});
