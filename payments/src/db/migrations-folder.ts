import { fileURLToPath } from 'node:url';

/** Applied at start by every replica (serialised by an advisory lock). */
export const migrationsFolder = fileURLToPath(new URL('./migrations', import.meta.url));
