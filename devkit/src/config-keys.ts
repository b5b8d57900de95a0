/**
 * Prints, as JSON, the settings each service named on the command line reads: the keys of its
 * configuration schema (`configSchema` in its src/config.ts). Run by `settingsOf`, in a
 * process of its own.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from './system/services.js';

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

const keys: Record<string, string[]> = {};
for (const service of process.argv.slice(2)) {
  const { configSchema } = (await import(pathToFileURL(join(repoRoot, service, 'src', 'config.ts')).href)) as { configSchema?: Schema };
  const shape = objectShape(configSchema);
  if (!shape) throw new Error(`${service}/src/config.ts exports no configSchema built on an object schema`);
  keys[service] = Object.keys(shape);
}
process.stdout.write(JSON.stringify(keys));
