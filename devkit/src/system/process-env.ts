import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { repoRoot, type ServiceName } from './services.js';

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
 * The settings a service reads: the keys of its configuration schema (`configSchema` in its
 * src/config.ts), so a setting given to `npm start` reaches the service that reads it and no other.
 */
export async function settingsOf(service: ServiceName): Promise<string[]> {
  const url = pathToFileURL(join(repoRoot, service, 'src', 'config.ts')).href;
  const { configSchema } = (await import(url)) as { configSchema?: Schema };
  const shape = objectShape(configSchema);
  if (!shape) throw new Error(`${service}/src/config.ts exports no configSchema built on an object schema`);
  return Object.keys(shape);
}

interface Schema {
  shape?: Record<string, unknown>;
  /** A pipe's (`.transform()`) input schema. */
  in?: Schema;
  _zod?: { def?: { innerType?: Schema } };
}

/** The object schema's fields under any `.transform()` pipes and wrappers around it. */
function objectShape(schema: Schema | undefined): Record<string, unknown> | undefined {
  for (let s = schema, depth = 0; s && depth < 10; s = s.in ?? s._zod?.def?.innerType, depth++) {
    if (s.shape) return s.shape;
  }
  return undefined;
}

/** The settings the web client reads from its environment, besides the addresses `npm start` gives it. */
export const CLIENT_SETTINGS = ['STRIPE_PUBLISHABLE_KEY', 'NATS_STREAM', 'NATS_SUBJECT_PREFIX', 'EVENT_EXPLORER_MAX_STREAMS', 'EVENT_EXPLORER_STREAM_SECONDS'] as const;
