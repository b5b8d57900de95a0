import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NATS_IDENTITIES, natsAuthorizationConfig, newNatsKey, type BusScope, type NatsIdentity, type NatsKey } from './nats-auth.js';

export interface NatsCredentials {
  /** Each identity's seed and public key. */
  keys: Record<NatsIdentity, NatsKey>;
  /** nats-server's configuration file: the users and their permissions (`-c`). */
  configFile: string;
}

/**
 * Every identity's nkey, kept in `dir/nats-keys.json` (mode 600; made on first use, so a
 * restarted `npm start` keeps them), and the server configuration for `scope` beside it,
 * written afresh each time from the permission table.
 */
export function natsCredentials(dir: string, scope: BusScope): NatsCredentials {
  mkdirSync(dir, { recursive: true });
  const keyFile = join(dir, 'nats-keys.json');
  const kept: Partial<Record<NatsIdentity, NatsKey>> = existsSync(keyFile) ? JSON.parse(readFileSync(keyFile, 'utf8')) : {};
  const keys = Object.fromEntries(NATS_IDENTITIES.map((id) => [id, kept[id] ?? newNatsKey()])) as Record<NatsIdentity, NatsKey>;
  writeFileSync(keyFile, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
  chmodSync(keyFile, 0o600);
  const configFile = join(dir, 'nats.conf');
  writeFileSync(configFile, natsAuthorizationConfig(scope, (id) => ({ publicKey: keys[id].publicKey })), { mode: 0o600 });
  return { keys, configFile };
}
