import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '@ticketing/devkit';

/**
 * Once per test run: PostgreSQL from DATABASE_URL, or else an embedded server in a temporary
 * directory, removed afterwards.
 */
export default async function setup(project: TestProject) {
  if (process.env.DATABASE_URL) {
    project.provide('databaseAdminUrl', process.env.DATABASE_URL);
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'ticketing-test-pg-'));
  const server = await startEmbeddedPostgres({ dir, persistent: false });
  project.provide('databaseAdminUrl', server.adminUrl);
  return async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  };
}
