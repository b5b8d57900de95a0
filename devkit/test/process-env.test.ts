import { describe, expect, it } from 'vitest';
import { BASE_ENV, CLIENT_SETTINGS, pickEnv, settingsOf } from '../src/system/process-env.js';
import { serviceEnv } from '../src/system/service-env.js';

describe('what a process of the system takes from the environment it is started from', () => {
  const shell = { PATH: '/usr/bin', HOME: '/home/dev', LOG_LEVEL: 'debug', AWS_SECRET_ACCESS_KEY: 'shh', STRIPE_PUBLISHABLE_KEY: 'pk_test_1', GITHUB_TOKEN: 'ghp_x' };

  it('when variables are picked, then only the base ones and those named come through', () => {
    expect(pickEnv([], shell)).toEqual({ PATH: '/usr/bin', HOME: '/home/dev', LOG_LEVEL: 'debug' });
    expect(pickEnv(CLIENT_SETTINGS, shell)).toEqual({ PATH: '/usr/bin', HOME: '/home/dev', LOG_LEVEL: 'debug', STRIPE_PUBLISHABLE_KEY: 'pk_test_1' });
    expect(BASE_ENV).not.toContain('NODE_OPTIONS'); // it could load code into every process
  });

  it("when a service's settings are read from its configuration schema, then they are its own: orders' window, payments' Stripe key and webhook secret, auth's signing key", async () => {
    const settings = await settingsOf(['auth', 'tickets', 'orders', 'payments']);
    expect(Object.keys(settings)).toEqual(['auth', 'tickets', 'orders', 'payments']);
    expect(settings.orders).toEqual(expect.arrayContaining(['EXPIRATION_WINDOW_SECONDS', 'DATABASE_URL', 'LOG_LEVEL']));
    expect(settings.tickets).not.toContain('EXPIRATION_WINDOW_SECONDS');
    expect(settings.payments).toEqual(expect.arrayContaining(['STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET', 'PAYMENT_INTENT_RECONCILE_AFTER_SECONDS']));
    expect(settings.orders).not.toContain('STRIPE_SECRET_KEY');
    expect(settings.orders).not.toContain('STRIPE_WEBHOOK_SECRET');
    // auth's schema is a refined, transformed object: its fields are still found.
    expect(settings.auth).toContain('JWT_PRIVATE_KEY');
    expect(settings.tickets).not.toContain('JWT_PRIVATE_KEY');
  });

  it('when a service is wired for npm start and the tests, then it listens on the loopback, with a metrics port of its own', () => {
    const keys = { publicKeyPem: 'pub', privateKeyPem: 'priv' };
    const env = serviceEnv('tickets', { port: 4001, metricsPort: 4002, databaseUrl: 'postgres://x', natsUrl: 'nats://y', keys });
    expect(env).toMatchObject({ HOST: '127.0.0.1', PORT: '4001', METRICS_PORT: '4002', JWT_PRIVATE_KEY: '' });
    expect(serviceEnv('tickets', { port: 4001, databaseUrl: 'postgres://x', natsUrl: 'nats://y', keys }).METRICS_PORT).toBe('0');
  });
});
