import { randomUUID } from 'node:crypto';
import { createTestService, testKeys, type TestService } from '@ticketing/testkit';
import { count, eq } from 'drizzle-orm';
import supertest from 'supertest';
import { createApp } from '../src/app.js';
import { configSchema, type Config } from '../src/config.js';
import { migrationsFolder } from '../src/db/migrations-folder.js';
import { limitPrefixes, pairKey, RATE_LIMITS_TABLE } from '../src/abuse-limits.js';
import { users } from '../src/db/schema.js';

/**
 * An auth service on its own database and stream, with its HTTP app. `env` adds settings;
 * `replicaOf` runs it as a second replica on another one's database and stream.
 */
export async function startAuth(env: Record<string, string> = {}, replicaOf?: Auth): Promise<Auth> {
  const t = await createTestService({
    name: 'auth',
    migrationsFolder,
    configSchema,
    env: { JWT_PRIVATE_KEY: testKeys.privateKeyPem, ...env },
    shared: replicaOf && { database: replicaOf.database, bus: replicaOf.bus },
  });
  const app = await createApp(t.service);
  return { ...t, app, http: supertest(app) };
}
export interface Auth extends TestService<Config> {
  app: Awaited<ReturnType<typeof createApp>>;
  http: ReturnType<typeof supertest>;
}

export const PASSWORD = 'correct horse battery';

/** An email no other test uses. */
export const anEmail = () => `user-${randomUUID().slice(0, 8)}@example.com`;

/** Signs a new user up through the API; returns the response. */
export const signUp = (t: Auth, email = anEmail(), password = PASSWORD) =>
  t.http.post('/api/users/signup').send({ email, password });

/** The address sign-ins come from unless a test says otherwise (as the trusted loopback proxy forwards it). */
export const CLIENT = '192.0.2.10';

export const signIn = (t: Auth, email: string, password = PASSWORD, from = CLIENT) =>
  t.http.post('/api/users/signin').set('X-Forwarded-For', from).send({ email, password });

/** The session cookie a response set: its value and attributes, as sent. */
export function sessionCookieOf(res: { headers: Record<string, unknown> }) {
  const setCookie = (res.headers['set-cookie'] ?? []) as string[];
  const header = setCookie.find((c) => c.startsWith('session='));
  if (!header) return undefined;
  const [pair, ...attrs] = header.split(/;\s*/);
  return { header, value: pair!.slice('session='.length), attributes: attrs };
}

export async function countUsers(t: Auth, email?: string) {
  const [row] = await t.service.database.db
    .select({ n: count() })
    .from(users)
    .where(email === undefined ? undefined : eq(users.email, email));
  return row!.n;
}

/** Failed sign-ins for `email` from `from` that the lockout counts now (0 once forgiven or expired). */
export async function countFailures(t: Auth, email: string, from = CLIENT) {
  const { rows } = await t.service.database.pool.query<{ points: number }>(
    `select points from ${RATE_LIMITS_TABLE} where key = $1 and expire > $2`,
    [`${limitPrefixes.failuresByEmailAndAddress}:${pairKey(email, from)}`, Date.now()],
  );
  return rows[0]?.points ?? 0;
}

/** Rows in the limits' table: a refused bad input must not add or change any. */
export async function limitRows(t: Auth) {
  const { rows } = await t.service.database.pool.query<{ key: string; points: number }>(`select key, points from ${RATE_LIMITS_TABLE} order by key`);
  return rows;
}
