import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Password hashing with scrypt (memory-hard, built into Node). The stored string names its
 * parameters, `scrypt$N$r$p$<salt>$<hash>`, so they can be raised later and old hashes still verify.
 */
const PARAMS = { N: 16384, r: 8, p: 1 };
const SALT_BYTES = 16;
const KEY_BYTES = 64;
/** Enough for N up to 2^17 with r = 8; a stored hash asking for more fails instead of eating memory. */
const MAX_MEMORY = 256 * 1024 * 1024;

function scryptAsync(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keyLength, { ...options, maxmem: MAX_MEMORY }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await scryptAsync(password, salt, KEY_BYTES, PARAMS);
  const { N, r, p } = PARAMS;
  return ['scrypt', N, r, p, salt.toString('base64'), hash.toString('base64')].join('$');
}

/** Hashed once, on first use: what an unknown email is checked against (see verifyPassword). */
let dummyHash: Promise<string> | undefined;
const dummy = () => (dummyHash ??= hashPassword(randomBytes(16).toString('hex')));

async function matches(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  const [scheme, N, r, p, salt, hash] = parts;
  if (parts.length !== 6 || scheme !== 'scrypt' || !salt || !hash) throw new Error('Unrecognised password hash');
  const expected = Buffer.from(hash, 'base64');
  const params = { N: Number(N), r: Number(r), p: Number(p) };
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64'), expected.length, params);
  return timingSafeEqual(actual, expected);
}

/**
 * True when `password` matches `stored`. With no stored hash (unknown email) it still runs
 * scrypt, against a dummy hash, and answers false: timing does not tell which emails exist.
 */
export async function verifyPassword(password: string, stored: string | undefined): Promise<boolean> {
  const ok = await matches(password, stored ?? (await dummy()));
  return ok && stored !== undefined;
}
