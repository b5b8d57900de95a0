/**
 * Each service's own configuration schema (its src/config.ts, the one it validates at
 * start) run on the environment a deployment gives it: what the process would say at
 * start-up, without starting it.
 */
import { join } from 'node:path';
import { loadConfig } from '@ticketing/common';
import { repoRoot } from './repo.js';

type Schema = Parameters<typeof loadConfig>[0];

export async function configProblems(service: string, env: Record<string, string>): Promise<string[]> {
  const { configSchema } = (await import(join(repoRoot, service, 'src', 'config.ts'))) as { configSchema: Schema };
  try {
    loadConfig(configSchema, env);
    return [];
  } catch (err) {
    const problems = (err as { problems?: string[] }).problems;
    return (problems ?? [(err as Error).message]).map((p) => `${service}: ${p}`);
  }
}
