import { ConfigError, loadConfig, type Db } from '@ticketing/common';
import { recordingLogger, testKeys } from '@ticketing/testkit';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../src/config.js';
import { chooseProvider as choose } from '../src/providers/choose-provider.js';
import { stripeEndpoint } from '../src/providers/stripe-provider.js';

const base = {
  PORT: '3000',
  DATABASE_URL: 'postgres://u:p@localhost:5432/payments',
  JWT_PUBLIC_KEY: testKeys.publicKeyPem,
};

/** Choosing a provider queries nothing: a database that would throw if asked. */
const unusedDb = {} as Db;
const chooseProvider = (config: Parameters<typeof choose>[0]) => choose(config, recordingLogger().logger, unusedDb);

function problemsOf(env: Record<string, string>) {
  try {
    loadConfig(configSchema, { ...base, ...env });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('payments configuration', () => {
  it('when no Stripe setting is given, then the sandbox provider is chosen', () => {
    const config = loadConfig(configSchema, base);

    expect(config.STRIPE_SECRET_KEY).toBeUndefined();
    expect(chooseProvider(config).name).toBe('sandbox');
  });

  it('when SANDBOX_CHARGE_LATENCY_MS is not given, then sandbox charges take no added time (0)', () => {
    expect(loadConfig(configSchema, base).SANDBOX_CHARGE_LATENCY_MS).toBe(0);
    expect(loadConfig(configSchema, { ...base, SANDBOX_CHARGE_LATENCY_MS: '800' }).SANDBOX_CHARGE_LATENCY_MS).toBe(800);
  });

  it.each(['-1', '1.5', 'soon', '60001'])('when SANDBOX_CHARGE_LATENCY_MS is %j, then start-up fails naming it', (value) => {
    expect(problemsOf({ SANDBOX_CHARGE_LATENCY_MS: value })).toEqual([expect.stringMatching(/^SANDBOX_CHARGE_LATENCY_MS: /)]);
  });

  it('when PAYMENT_ATTEMPT_RESOLVE_AFTER_SECONDS is not given, then pending attempts are resolved after 300 s', () => {
    expect(loadConfig(configSchema, base).PAYMENT_ATTEMPT_RESOLVE_AFTER_SECONDS).toBe(300);
    expect(loadConfig(configSchema, { ...base, PAYMENT_ATTEMPT_RESOLVE_AFTER_SECONDS: '2' }).PAYMENT_ATTEMPT_RESOLVE_AFTER_SECONDS).toBe(2);
  });

  it.each(['0', '1.5', 'later', '86401'])('when PAYMENT_ATTEMPT_RESOLVE_AFTER_SECONDS is %j, then start-up fails naming it', (value) => {
    expect(problemsOf({ PAYMENT_ATTEMPT_RESOLVE_AFTER_SECONDS: value })).toEqual([
      expect.stringMatching(/^PAYMENT_ATTEMPT_RESOLVE_AFTER_SECONDS: /),
    ]);
  });

  it('when STRIPE_SECRET_KEY is empty, then it counts as unset (sandbox)', () => {
    expect(chooseProvider(loadConfig(configSchema, { ...base, STRIPE_SECRET_KEY: '' })).name).toBe('sandbox');
  });

  it('when STRIPE_SECRET_KEY is set, then the stripe provider is chosen, retrying twice by default', () => {
    const config = loadConfig(configSchema, { ...base, STRIPE_SECRET_KEY: 'sk_test_abc123' });

    expect(chooseProvider(config).name).toBe('stripe');
    expect(config.STRIPE_MAX_NETWORK_RETRIES).toBe(2);
  });

  it('when a restricted key (rk_) is given, then it is accepted', () => {
    expect(chooseProvider(loadConfig(configSchema, { ...base, STRIPE_SECRET_KEY: 'rk_live_abc' })).name).toBe('stripe');
  });

  it('when NODE_ENV is production and neither STRIPE_SECRET_KEY nor PAYMENTS_PROVIDER is set, then start-up fails', () => {
    expect(problemsOf({ NODE_ENV: 'production' })).toEqual([expect.stringMatching(/^STRIPE_SECRET_KEY: is required in production/)]);
  });

  it('when NODE_ENV is production, then the sandbox runs only with PAYMENTS_PROVIDER=sandbox, and Stripe with its key and webhook secret', () => {
    const stripe = { NODE_ENV: 'production', STRIPE_SECRET_KEY: 'sk_live_abc', STRIPE_WEBHOOK_SECRET: 'whsec_abc' };
    expect(chooseProvider(loadConfig(configSchema, { ...base, NODE_ENV: 'production', PAYMENTS_PROVIDER: 'sandbox' })).name).toBe('sandbox');
    expect(chooseProvider(loadConfig(configSchema, { ...base, ...stripe })).name).toBe('stripe');
  });

  it('when NODE_ENV is production with the stripe provider but no STRIPE_WEBHOOK_SECRET, then start-up fails', () => {
    expect(problemsOf({ NODE_ENV: 'production', STRIPE_SECRET_KEY: 'sk_live_abc' })).toEqual([
      expect.stringMatching(/^STRIPE_WEBHOOK_SECRET: is required in production with the stripe provider/),
    ]);
    expect(problemsOf({ NODE_ENV: 'production', PAYMENTS_PROVIDER: 'stripe', STRIPE_SECRET_KEY: 'sk_live_abc' })).toHaveLength(1);
  });

  it('when the webhook settings are not given, then there is no webhook secret, a 300 s tolerance and a 60 s reconcile', () => {
    const config = loadConfig(configSchema, { ...base, STRIPE_SECRET_KEY: 'sk_test_abc' });
    expect(config.STRIPE_WEBHOOK_SECRET).toBeUndefined();
    expect(config.STRIPE_WEBHOOK_TOLERANCE_SECONDS).toBe(300);
    expect(config.PAYMENT_INTENT_RECONCILE_AFTER_SECONDS).toBe(60);
  });

  it('when a webhook setting is malformed, then start-up names it', () => {
    expect(problemsOf({ STRIPE_WEBHOOK_SECRET: 'sk_test_abc' })).toEqual([expect.stringMatching(/^STRIPE_WEBHOOK_SECRET: must be a Stripe webhook signing secret/)]);
    expect(problemsOf({ STRIPE_WEBHOOK_TOLERANCE_SECONDS: '0' })).toEqual([expect.stringMatching(/^STRIPE_WEBHOOK_TOLERANCE_SECONDS: must be a whole number of seconds from 1 to 3600/)]);
    expect(problemsOf({ PAYMENT_INTENT_RECONCILE_AFTER_SECONDS: '1.5' })).toEqual([
      expect.stringMatching(/^PAYMENT_INTENT_RECONCILE_AFTER_SECONDS: must be a whole number of seconds/),
    ]);
  });

  it('when PAYMENTS_PROVIDER is sandbox beside a Stripe key, then the sandbox is used, as asked', () => {
    expect(chooseProvider(loadConfig(configSchema, { ...base, PAYMENTS_PROVIDER: 'sandbox', STRIPE_SECRET_KEY: 'sk_test_abc' })).name).toBe('sandbox');
  });

  it.each([
    [{ PAYMENTS_PROVIDER: 'stripe' }, /^STRIPE_SECRET_KEY: is required when PAYMENTS_PROVIDER is "stripe"/],
    [{ PAYMENTS_PROVIDER: 'paypal' }, /^PAYMENTS_PROVIDER: must be "stripe" or "sandbox"/],
  ])('when %o, then start-up fails', (env, problem) => {
    expect(problemsOf(env)).toEqual([expect.stringMatching(problem)]);
  });

  it('when the key is a publishable key, then start-up fails naming STRIPE_SECRET_KEY', () => {
    expect(problemsOf({ STRIPE_SECRET_KEY: 'pk_test_abc' })).toEqual([expect.stringMatching(/^STRIPE_SECRET_KEY: .*publishable/)]);
  });

  it.each([
    ['not a URL', 'localhost:12111'],
    ['an ftp URL', 'ftp://127.0.0.1:12111'],
    ['a URL with a path', 'http://127.0.0.1:12111/v1'],
  ])('when STRIPE_API_URL is %s, then start-up fails naming it', (_, url) => {
    expect(problemsOf({ STRIPE_API_URL: url })).toEqual([expect.stringMatching(/^STRIPE_API_URL: /)]);
  });

  it.each(['-1', '11', '1.5', 'many'])('when STRIPE_MAX_NETWORK_RETRIES is %s, then start-up fails naming it', (value) => {
    expect(problemsOf({ STRIPE_MAX_NETWORK_RETRIES: value })).toEqual([expect.stringMatching(/^STRIPE_MAX_NETWORK_RETRIES: /)]);
  });

  it.each([
    ['http://127.0.0.1:12111', { host: '127.0.0.1', port: 12111, protocol: 'http' }],
    ['http://localhost', { host: 'localhost', port: 80, protocol: 'http' }],
    ['https://api.stripe.com', { host: 'api.stripe.com', port: 443, protocol: 'https' }],
    ['https://stripe-mock.internal:8443/', { host: 'stripe-mock.internal', port: 8443, protocol: 'https' }],
    ['http://[::1]:12111', { host: '::1', port: 12111, protocol: 'http' }],
  ])('when STRIPE_API_URL is %s, then the SDK gets %o', (url, endpoint) => {
    expect(loadConfig(configSchema, { ...base, STRIPE_API_URL: url }).STRIPE_API_URL).toBe(url);
    expect(stripeEndpoint(url)).toEqual(endpoint);
  });
});
