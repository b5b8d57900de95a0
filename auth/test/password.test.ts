import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { users } from '../src/db/schema.js';
import { hashPassword, verifyPassword } from '../src/password.js';
import { anEmail, PASSWORD, signUp, startAuth, type Auth } from './setup.js';

const FORMAT = /^scrypt\$16384\$8\$1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{86}==$/;

describe('password hashing', () => {
  it('when a password is hashed, then the result names scrypt and its parameters, with a 16-byte salt', async () => {
    const hash = await hashPassword(PASSWORD);

    expect(hash).toMatch(FORMAT);
    expect(Buffer.from(hash.split('$')[4]!, 'base64')).toHaveLength(16);
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

  it('when there is no stored hash (unknown email), then it answers false, after comparable scrypt work', async () => {
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
