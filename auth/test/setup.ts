import { randomUUID } from 'node:crypto';
import { createTestService, testKeys, type TestService } from '@ticketing/testkit';
import { count, eq } from 'drizzle-orm';
import supertest from 'supertest';
import { createApp } from '../src/app.js';
import { configSchema, type Config } from '../src/config.js';
import { migrationsFolder } from '../src/db/migrations-folder.js';
import { signinFailures, users } from '../src/db/schema.js';

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

export const signIn = (t: Auth, email: string, password = PASSWORD) =>
  t.http.post('/api/users/signin').send({ email, password });

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

export async function countFailures(t: Auth, email: string) {
  const [row] = await t.service.database.db
    .select({ n: count() })
    .from(signinFailures)
    .where(eq(signinFailures.email, email));
  return row!.n;
}
