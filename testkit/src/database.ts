import pg from 'pg';
import { inject } from 'vitest';
import { uniqueSuffix } from './unique-suffix.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Server-level URL (from the global setup); each test file creates its own database on it. */
    databaseAdminUrl: string;
  }
}

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A database of its own on the run's PostgreSQL, or on the server at `adminUrl` (a chaos run's own). */
export async function createTestDatabase(adminUrl = inject('databaseAdminUrl')): Promise<TestDatabase> {
  const name = `test_${uniqueSuffix()}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}
