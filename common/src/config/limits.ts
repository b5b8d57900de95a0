import { z } from 'zod';

/** An abuse limit: a whole number, unset for the default of the environment (see `withLimitDefaults`). */
export const limitSetting = z.coerce.number({ error: 'must be a whole number from 1 to 1000000' }).int().min(1).max(1_000_000).optional();

/** A limit's default: strict in production; elsewhere (`npm start`, tests) loose enough for test suites that sign up hundreds of users a minute from one address. */
export interface LimitDefault {
  production: number;
  otherwise: number;
}

/** The config with every unset limit in `defaults` filled in for its NODE_ENV. */
export function withLimitDefaults<C extends { NODE_ENV: string }, K extends string>(
  config: C,
  defaults: Record<K, LimitDefault>,
): Omit<C, K> & Record<K, number> {
  const given = config as unknown as Record<string, number | undefined>;
  const filled = Object.fromEntries(
    Object.entries<LimitDefault>(defaults).map(([k, d]) => [k, given[k] ?? (config.NODE_ENV === 'production' ? d.production : d.otherwise)]),
  );
  return { ...config, ...filled } as Omit<C, K> & Record<K, number>;
}
