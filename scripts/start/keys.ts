import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Development session keys, generated into `.data/keys` on first start and reused after, so
 * sessions survive a restart. Production keys come from Secrets, never from here.
 */
export function ensureDevelopmentKeys(dataDir: string, log: (line: string) => void) {
  const dir = join(dataDir, 'keys');
  const privatePath = join(dir, 'session-private.pem');
  const publicPath = join(dir, 'session-public.pem');
  if (!existsSync(privatePath) || !existsSync(publicPath)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    writeFileSync(privatePath, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    writeFileSync(publicPath, publicKey.export({ type: 'spki', format: 'pem' }));
    log(`generated development session keys in ${dir}`);
  }
  return { privateKeyPem: readFileSync(privatePath, 'utf8'), publicKeyPem: readFileSync(publicPath, 'utf8') };
}
