/**
 * NATS over TLS, as the prod overlay runs it: the server's TLS block is the overlay's own
 * (infra/k8s/overlays/prod/nats-tls.conf, its certificate paths pointed here), the certificate
 * signed by a CA of the test's making. A service that trusts that CA (NATS_TLS_CA) connects and
 * publishes; one that does not is refused the connection.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inboxPrefixOf } from '@ticketing/devkit/system/nats-auth';
import { natsCredentials, type NatsCredentials } from '@ticketing/devkit/system/nats-credentials';
import { NatsServer } from '@ticketing/devkit/system/nats-server';
import { repoRoot } from '@ticketing/devkit/system/services';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Bus } from '../src/bus/bus.js';

const scope = { stream: 'TLS', subjectPrefix: '' };
let dir: string;
let server: NatsServer;
let credentials: NatsCredentials;

/** A CA, and a certificate it signs for 127.0.0.1 (tls.crt, tls.key, ca.crt: a kubernetes.io/tls Secret's files). */
function makeCertificates(at: string) {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: at, stdio: 'pipe' });
  ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=test CA', '-keyout', 'ca.key', '-out', 'ca.crt');
  ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=nats', '-keyout', 'tls.key', '-out', 'tls.csr');
  writeFileSync(join(at, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:nats\n');
  ssl('x509', '-req', '-in', 'tls.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-extfile', 'san.ext', '-out', 'tls.crt');
}

const connectAs = (tlsCaFile: string | undefined) =>
  Bus.connect(
    { url: server.url, name: 'orders', ...scope, nkeySeed: credentials.keys.orders.seed, inboxPrefix: inboxPrefixOf('orders'), tlsCaFile, startupWaitMs: 1500 },
    pino({ level: 'silent' }),
  );

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nats-tls-'));
  makeCertificates(dir);
  credentials = natsCredentials(dir, scope);
  const tls = readFileSync(join(repoRoot, 'infra/k8s/overlays/prod/nats-tls.conf'), 'utf8').replaceAll('/etc/nats-tls', dir);
  writeFileSync(join(dir, 'tls.conf'), tls);
  writeFileSync(join(dir, 'server.conf'), 'include ./tls.conf\ninclude ./nats.conf\n');
  server = await NatsServer.start({
    storeDir: join(dir, 'store'),
    logFile: join(dir, 'nats.log'),
    configFile: join(dir, 'server.conf'),
    probeSeed: credentials.keys.admin.seed,
    probeTlsCaFile: join(dir, 'ca.crt'),
  });
});

afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('NATS over TLS', () => {
  it('when a service trusts the CA (NATS_TLS_CA), then it connects over TLS and publishes its event', async () => {
    const bus = await connectAs(join(dir, 'ca.crt'));
    try {
      expect(bus.nc.info?.tls_required).toBe(true);
      await expect(bus.publish('order.created', '{}', { id: 'tls-1' })).resolves.toMatchObject({ stream: 'TLS' });
    } finally {
      await bus.close();
    }
  });

  it('when a service does not trust the CA, then the connection is refused', async () => {
    await expect(connectAs(undefined)).rejects.toThrow();
  });
});
