import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';

/**
 * Password hashing with argon2id (@node-rs/argon2, whose prebuilt binaries come through npm)
 * at OWASP's parameters: 19 MiB, 2 passes, 1 lane. The stored string is the PHC format,
 * `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`, naming its parameters. Hashes made before,
 * with scrypt (`scrypt$N$r$p$<salt>$<hash>`), still verify; sign-in replaces them (needsRehash).
 */
const ARGON2 = { memoryCost: 19_456, timeCost: 2, parallelism: 1 }; // the package's default algorithm is argon2id
const CURRENT_PREFIX = `$argon2id$v=19$m=${ARGON2.memoryCost},t=${ARGON2.timeCost},p=${ARGON2.parallelism}$`;
/** Enough for N up to 2^17 with r = 8; a stored hash asking for more fails instead of eating memory. */
const MAX_SCRYPT_MEMORY = 256 * 1024 * 1024;

export function hashPassword(password: string): Promise<string> {
  return argon2Hash(password, ARGON2);
}

/** True when `stored` was made by an older scheme or with other parameters: hash it again. */
export function needsRehash(stored: string): boolean {
  return !stored.startsWith(CURRENT_PREFIX);
}

/** Hashed once, on first use: what an unknown email is checked against (see verifyPassword). */
let dummyHash: Promise<string> | undefined;
const dummy = () => (dummyHash ??= hashPassword(randomBytes(16).toString('hex')));

async function matches(password: string, stored: string): Promise<boolean> {
  if (stored.startsWith('$argon2')) return argon2Verify(stored, password);
  if (stored.startsWith('scrypt$')) return matchesScrypt(password, stored);
  throw new Error('Unrecognised password hash');
}

/**
 * True when `password` matches `stored`. With no stored hash (unknown email) it still runs
 * argon2id, against a dummy hash, and answers false: timing does not tell which emails exist.
 */
export async function verifyPassword(password: string, stored: string | undefined): Promise<boolean> {
  const ok = await matches(password, stored ?? (await dummy()));
  return ok && stored !== undefined;
}

/** The scheme before argon2id; only verified now, never written. */
async function matchesScrypt(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  const [, N, r, p, salt, hash] = parts;
  if (parts.length !== 6 || !salt || !hash) throw new Error('Unrecognised password hash');
  const expected = Buffer.from(hash, 'base64');
  const params = { N: Number(N), r: Number(r), p: Number(p) };
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64'), expected.length, params);
  return timingSafeEqual(actual, expected);
}

function scryptAsync(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keyLength, { ...options, maxmem: MAX_SCRYPT_MEMORY }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}
