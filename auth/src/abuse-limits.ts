import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { PeriodicWorker, tooManyRequests } from '@ticketing/common';
import type { Request } from 'express';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import type { AuthService } from './config.js';

/**
 * Sign-in and sign-up abuse limits (rate-limiter-flexible over PostgreSQL, so they hold across
 * replicas and restarts), all counted in one table, `rate_limits` (key, points, expire in ms).
 * The settings and their defaults are in config.ts; docs/design.md §3 says what a client sees.
 *
 * Sign-in follows the library's "login endpoint protection": consecutive failures are counted
 * per email *and address*, so an attacker's failures lock out only the attacker's pair, never
 * the account's owner signing in from elsewhere; failures per address per day slow spraying
 * over many emails. Both sign-in and sign-up are capped per address, and the password hashing
 * they cause, from everyone together, per second: the hash is never a lever to exhaust the CPU.
 */
export const RATE_LIMITS_TABLE = 'rate_limits';

export interface SigninAdmission {
  /** The password was right: the email's failures from this address start again from zero. */
  succeeded(): Promise<void>;
  /** It was wrong (or the email unknown): the address's daily failures grow by one. */
  failed(): Promise<void>;
}

export interface AbuseLimits {
  /** Admits a sign-up from `address`, or throws 429 with Retry-After. */
  admitSignup(address: string): Promise<void>;
  /**
   * Admits a sign-in for `email` from `address`, or throws 429 with Retry-After (even for the
   * right password). The attempt counts as a failure until `succeeded()` forgives it, so
   * attempts sent at once cannot together get past the lockout.
   */
  admitSignin(address: string, email: string): Promise<SigninAdmission>;
}

/**
 * The address limits count a request against: the client's, as TRUSTED_PROXIES lets Express
 * see it. Express takes a forwarded entry as it is; one that is not an IP address (no proxy of
 * ours writes such a thing) counts against the peer that sent it instead.
 */
export function clientAddress(req: Request): string {
  const forwarded = req.ip;
  return forwarded && isIP(forwarded) ? forwarded : (req.socket.remoteAddress ?? 'unknown');
}

/** Seconds until a refused limit lets requests through again, for Retry-After (at least 1). */
const retryAfterOf = (res: RateLimiterRes) => Math.max(1, Math.ceil(res.msBeforeNext / 1000));

/** Keys are stored as `<prefix>:<key>` in a varchar(255), and an email may be up to 254 characters: the pair's key is a digest. */
export const pairKey = (email: string, address: string) => createHash('sha256').update(`${email}\0${address}`).digest('base64url');

/** Each limit's key prefix in `rate_limits`. */
export const limitPrefixes = {
  signinsByAddress: 'signin_address',
  failuresByAddress: 'signin_failures_address',
  failuresByEmailAndAddress: 'signin_failures_email_address',
  signupsByAddress: 'signup_address',
  hashes: 'password_hashes',
} as const;

/** Runs `consume`; a refusal (the library rejects with a RateLimiterRes) becomes 429 `message`. */
async function within<T>(consume: Promise<T>, message: string): Promise<T> {
  try {
    return await consume;
  } catch (err) {
    if (err instanceof RateLimiterRes) throw tooManyRequests(message, retryAfterOf(err));
    throw err; // the database failed: a 5xx, not a refusal
  }
}

/** Creates the table (at start-up, never on a request) and the limits `service.config` sets. */
export async function createAbuseLimits(service: AuthService): Promise<AbuseLimits> {
  const c = service.config;
  const storeClient = service.database.pool;
  await new Promise<void>((resolve, reject) => {
    // The library's own CREATE TABLE IF NOT EXISTS, awaited here; the limiters below then skip it.
    new RateLimiterPostgres({ storeClient, tableName: RATE_LIMITS_TABLE, keyPrefix: 'init', points: 1, duration: 1, clearExpiredByTimeout: false }, (err?: unknown) =>
      err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(),
    );
  });
  const limiter = (keyPrefix: string, points: number, duration: number) =>
    new RateLimiterPostgres({ storeClient, tableName: RATE_LIMITS_TABLE, tableCreated: true, clearExpiredByTimeout: false, keyPrefix, points, duration });

  const p = limitPrefixes;
  const signinsByAddress = limiter(p.signinsByAddress, c.SIGNIN_ATTEMPTS_PER_ADDRESS_PER_MINUTE, 60);
  const failuresByAddress = limiter(p.failuresByAddress, c.SIGNIN_FAILURES_PER_ADDRESS_PER_DAY, 24 * 60 * 60);
  const failuresByEmailAndAddress = limiter(p.failuresByEmailAndAddress, c.SIGNIN_FAILURES_PER_EMAIL_AND_ADDRESS, c.SIGNIN_LOCKOUT_SECONDS);
  const signupsByAddress = limiter(p.signupsByAddress, c.SIGNUPS_PER_ADDRESS_PER_HOUR, 60 * 60);
  const hashes = limiter(p.hashes, c.PASSWORD_HASHES_PER_SECOND, 1);

  const busy = 'Too many requests; try again in a moment';
  const admitHash = () => within(hashes.consume('all'), busy);

  return {
    async admitSignup(address) {
      await within(signupsByAddress.consume(address), 'Too many sign-ups from this address; try again later');
      await admitHash();
    },

    async admitSignin(address, email) {
      await within(signinsByAddress.consume(address), 'Too many sign-in attempts from this address; try again later');
      const daily = await failuresByAddress.get(address);
      if (daily && daily.consumedPoints >= c.SIGNIN_FAILURES_PER_ADDRESS_PER_DAY) {
        throw tooManyRequests('Too many failed sign-in attempts from this address; try again later', retryAfterOf(daily));
      }
      const pair = pairKey(email, address);
      await within(failuresByEmailAndAddress.consume(pair), 'Too many failed sign-in attempts; try again later');
      try {
        await admitHash();
      } catch (err) {
        await failuresByEmailAndAddress.reward(pair, 1); // not checked, so not a failure
        throw err;
      }
      return {
        succeeded: async () => void (await failuresByEmailAndAddress.delete(pair)),
        failed: async () => void (await failuresByAddress.penalty(address, 1)),
      };
    },
  };
}

/** Deletes limit windows that ended over an hour ago, every 10 minutes (the library's own timer is off). */
export const rateLimitPruning = (service: AuthService) =>
  new PeriodicWorker(
    'rateLimitPruning',
    async () => {
      const result = await service.database.pool.query(`delete from ${RATE_LIMITS_TABLE} where expire < $1`, [Date.now() - 60 * 60 * 1000]);
      return result.rowCount ?? 0;
    },
    { intervalMs: 10 * 60 * 1000, logger: service.logger },
  );
