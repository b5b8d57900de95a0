import { ConfigError, loadConfig } from '@ticketing/common';
import { testKeys } from '@ticketing/testkit';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../src/config.js';

const env = {
  PORT: '3000',
  DATABASE_URL: 'postgres://localhost/orders',
  JWT_PUBLIC_KEY: testKeys.publicKeyPem,
};

describe('orders configuration', () => {
  it('when EXPIRATION_WINDOW_SECONDS is not set, then orders expire after 900 seconds (15 minutes)', () => {
    expect(loadConfig(configSchema, env).EXPIRATION_WINDOW_SECONDS).toBe(900);
  });

  it('when EXPIRATION_WINDOW_SECONDS is empty, then the default of 900 applies', () => {
    expect(loadConfig(configSchema, { ...env, EXPIRATION_WINDOW_SECONDS: '' }).EXPIRATION_WINDOW_SECONDS).toBe(900);
  });

  it.each([
    ['1', 1],
    ['60', 60],
    ['86400', 86_400],
  ])('when EXPIRATION_WINDOW_SECONDS is "%s", then the window is %i seconds', (value, seconds) => {
    expect(loadConfig(configSchema, { ...env, EXPIRATION_WINDOW_SECONDS: value }).EXPIRATION_WINDOW_SECONDS).toBe(seconds);
  });

  it.each(['0', '-5', '1.5', 'abc', '1e3', ' 60', '0x10', '1000000000'])(
    'when EXPIRATION_WINDOW_SECONDS is "%s", then loading fails naming the setting',
    (value) => {
      const load = () => loadConfig(configSchema, { ...env, EXPIRATION_WINDOW_SECONDS: value });

      expect(load).toThrow(ConfigError);
      expect(load).toThrow(/EXPIRATION_WINDOW_SECONDS/);
    },
  );

  it('when the base settings are missing, then loading fails naming them (the orders schema extends the base one)', () => {
    expect(() => loadConfig(configSchema, {})).toThrow(/DATABASE_URL/);
  });
});
