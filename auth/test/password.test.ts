import { randomBytes, scryptSync } from 'node:crypto';
import { hash as argon2Hash } from '@node-rs/argon2';
import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { users } from '../src/db/schema.js';
import { hashPassword, needsRehash, verifyPassword } from '../src/password.js';
import { anEmail, PASSWORD, sessionCookieOf, signIn, signUp, startAuth, type Auth } from './setup.js';

/** argon2id at OWASP's parameters (19 MiB, 2 passes, 1 lane), 16-byte salt, 32-byte hash. */
const FORMAT = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/;

/** A hash as this service stored them before argon2id: scrypt, N=2^14, r=8, p=1. */
function legacyScryptHash(password: string) {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, 64, { N: 16384, r: 8, p: 1 });
  return ['scrypt', 16384, 8, 1, salt.toString('base64'), hash.toString('base64')].join('$');
}

describe('password hashing', () => {
  it('when a password is hashed, then the result is argon2id at OWASP parameters, with a 16-byte salt', async () => {
    const hash = await hashPassword(PASSWORD);

    expect(hash).toMatch(FORMAT);
    expect(Buffer.from(hash.split('$')[4]!, 'base64')).toHaveLength(16);
    expect(needsRehash(hash)).toBe(false);
  });

  it('when a stored hash is scrypt (before argon2id), then the right password still verifies, a wrong one does not, and it needs a rehash', async () => {
    const legacy = legacyScryptHash(PASSWORD);

    expect(await verifyPassword(PASSWORD, legacy)).toBe(true);
    expect(await verifyPassword(`${PASSWORD}!`, legacy)).toBe(false);
    expect(needsRehash(legacy)).toBe(true);
  });

  it('when a stored hash is argon2id with weaker parameters, then it verifies and needs a rehash', async () => {
    const weak = await argon2Hash(PASSWORD, { memoryCost: 4096, timeCost: 1, parallelism: 1 });

    expect(await verifyPassword(PASSWORD, weak)).toBe(true);
    expect(needsRehash(weak)).toBe(true);
  });

  it('when the same password is hashed twice, then the hashes differ (random salt) and both verify', async () => {
    const [a, b] = await Promise.all([hashPassword(PASSWORD), hashPassword(PASSWORD)]);

    expect(a).not.toBe(b);
    expect(await verifyPassword(PASSWORD, a)).toBe(true);
    expect(await verifyPassword(PASSWORD, b)).toBe(true);
  });

  it('when a different password is checked, then it does not verify', async () => {
    const hash = await hashPassword(PASSWORD);

    expect(await verifyPassword(`${PASSWORD}!`, hash)).toBe(false);
    expect(await verifyPassword(PASSWORD.toUpperCase(), hash)).toBe(false);
  });

  it('when there is no stored hash (unknown email), then it answers false, after comparable argon2id work', async () => {
    const stored = await hashPassword(PASSWORD);
    await verifyPassword(PASSWORD, undefined); // the dummy hash is made on first use
    // The fastest of three runs each, so a busy machine does not decide the comparison.
    const timed = async (stored: string | undefined) => {
      let best = { ok: false, ms: Infinity };
      for (let i = 0; i < 3; i++) {
        const started = performance.now();
        const ok = await verifyPassword(PASSWORD, stored);
        best = { ok, ms: Math.min(best.ms, performance.now() - started) };
      }
      return best;
    };

    const known = await timed(stored);
    const unknown = await timed(undefined);

    expect(known.ok).toBe(true);
    expect(unknown.ok).toBe(false);
    // Without the dummy hash an unknown email would answer in well under a millisecond.
    expect(unknown.ms).toBeGreaterThan(known.ms / 4);
  });

  it('when the stored hash is not in the expected format, then it throws rather than answering', async () => {
    await expect(verifyPassword(PASSWORD, 'plain-text-password')).rejects.toThrow('Unrecognised password hash');
  });
});

describe('passwords in the database', () => {
  let t: Auth;
  beforeAll(async () => {
    t = await startAuth();
  });
  afterAll(() => t.close());

  it('when two users sign up with the same password, then only distinct salted hashes are stored', async () => {
    const emails = [anEmail(), anEmail()];
    for (const email of emails) await signUp(t, email, PASSWORD);

    const rows = await t.service.database.db.select().from(users).where(inArray(users.email, emails));

    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row.passwordHash).toMatch(FORMAT);
      expect(row.passwordHash).not.toContain(PASSWORD);
      expect(row.passwordHash).not.toContain(Buffer.from(PASSWORD).toString('base64'));
    }
    expect(rows[0]!.passwordHash).not.toBe(rows[1]!.passwordHash);
  });

  it('when a user signs up, then the response and the stored row never hold the plain password', async () => {
    const email = anEmail();

    const res = await signUp(t, email, PASSWORD);

    expect(JSON.stringify(res.body)).not.toContain(PASSWORD);
    const [row] = await t.service.database.db.select().from(users).where(eq(users.email, email));
    expect(Object.values(row!).map(String).join(' ')).not.toContain(PASSWORD);
  });
});

describe('sign-in replaces an older hash', () => {
  let t: Auth;
  beforeAll(async () => {
    t = await startAuth();
  });
  afterAll(() => t.close());

  const storedHash = async (email: string) =>
    (await t.service.database.db.select().from(users).where(eq(users.email, email)))[0]!.passwordHash;

  it('when a user whose stored hash is scrypt signs in, then it is replaced by an argon2id one that signs in again', async () => {
    const email = anEmail();
    await signUp(t, email, PASSWORD);
    const legacy = legacyScryptHash(PASSWORD);
    await t.service.database.db.update(users).set({ passwordHash: legacy }).where(eq(users.email, email));

    const first = await signIn(t, email, PASSWORD);

    expect(first.status).toBe(200);
    expect(sessionCookieOf(first)?.value).toBeTruthy();
    const rehashed = await storedHash(email);
    expect(rehashed).toMatch(FORMAT);
    const again = await signIn(t, email, PASSWORD);
    expect(again.status).toBe(200);
    expect(await storedHash(email)).toBe(rehashed); // current already: not hashed a third time
  });

  it('when the password is wrong, then the scrypt hash is left as it was', async () => {
    const email = anEmail();
    await signUp(t, email, PASSWORD);
    const legacy = legacyScryptHash(PASSWORD);
    await t.service.database.db.update(users).set({ passwordHash: legacy }).where(eq(users.email, email));

    const res = await signIn(t, email, 'wrong password here');

    expect(res.status).toBe(400);
    expect(await storedHash(email)).toBe(legacy);
  });
});
