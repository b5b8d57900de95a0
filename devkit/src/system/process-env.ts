import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { repoRoot, type ServiceName } from './services.js';

const run = promisify(execFile);

/**
 * What every process of the system may take from the environment it was started from: how to
 * find programs, where home and temporary files are, the time zone and language, the mode and
 * the log level. Anything else in a developer's shell (tokens, cloud credentials...) stays there.
 */
export const BASE_ENV = ['PATH', 'HOME', 'TMPDIR', 'TZ', 'LANG', 'LC_ALL', 'NODE_ENV', 'LOG_LEVEL', 'NODE_EXTRA_CA_CERTS'] as const;

/** The variables of `from` named in `names` (and BASE_ENV), and no others. */
export function pickEnv(names: readonly string[], from: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of new Set([...BASE_ENV, ...names])) {
    const value = from[name];
    if (value !== undefined) picked[name] = value;
  }
  return picked;
}

/**
 * The settings each service reads: the keys of its configuration schema (`configSchema` in its
 * src/config.ts), so a setting given to `npm start` reaches the service that reads it and no other.
 * They are read in a short-lived process: what loading five services' configurations brings in
 * (zod, Express, the contracts...) would otherwise stay in the caller's heap, some 90 MB of the
 * launcher's memory for as long as the system runs.
 */
export async function settingsOf<S extends ServiceName>(services: readonly S[]): Promise<Record<S, string[]>> {
  const script = fileURLToPath(new URL('../config-keys.ts', import.meta.url));
  const read = await run(process.execPath, ['--conditions=source', '--import', 'tsx', script, ...services], { cwd: repoRoot, env: pickEnv([]) }).catch(
    (err: { stderr?: string; message: string }) => {
      throw new Error(`the services' settings could not be read from their configuration:\n${err.stderr || err.message}`);
    },
  );
  return JSON.parse(read.stdout) as Record<S, string[]>;
}

/** The settings the web client reads from its environment, besides the addresses `npm start` gives it. */
export const CLIENT_SETTINGS = ['STRIPE_PUBLISHABLE_KEY', 'NATS_STREAM', 'NATS_SUBJECT_PREFIX', 'EVENT_EXPLORER_MAX_STREAMS', 'EVENT_EXPLORER_STREAM_SECONDS'] as const;
