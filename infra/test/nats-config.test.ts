/**
 * NATS in Kubernetes: its users and permissions are the ones generated from contracts'
 * busAccess, each service signs in with its own seed, the monitoring port stays off the
 * network, and prod speaks TLS. The dev overlay's NATS is started for real (nats-server 2.10,
 * its rendered ConfigMap and Secrets) and the services' rendered seeds tried against it.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, nkeyAuthenticator } from '@nats-io/transport-node';
import { busAccess, type BusService } from '@ticketing/contracts';
import { inboxPrefixOf, KUBERNETES_NATS_AUTHORIZATION, kubernetesNatsAuthorization } from '@ticketing/devkit/system/nats-auth';
import { NatsServer } from '@ticketing/devkit/system/nats-server';
import type { ConfigMap, Container, Service, Volume, VolumeMount } from 'kubernetes-types/core/v1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { effectiveEnv, envValues, find, podTemplates } from './support/k8s.js';
import { Workspace, type K8sObject } from './support/kustomize.js';
import { read } from './support/repo.js';

let ws: Workspace;
let dev: K8sObject[];
let prod: K8sObject[];
beforeAll(() => {
  ws = new Workspace();
  dev = ws.overlay('dev');
  prod = ws.overlay('prod');
}, 120_000);
afterAll(() => ws?.remove());

const services = Object.keys(busAccess) as BusService[];
const unhashed = (name: string) => name.replace(/-[a-z0-9]{10}$/, '');

function containerOf(objects: K8sObject[], workload: string, name: string): Container {
  const pod = podTemplates(objects).find((p) => p.workload.metadata?.name === workload);
  const c = pod?.spec.containers.find((x) => x.name === name);
  if (!c) throw new Error(`no ${name} container in ${workload}`);
  return c;
}
const natsConfig = (objects: K8sObject[]) =>
  (objects.find((o) => o.kind === 'ConfigMap' && unhashed(o.metadata.name) === 'nats-config') as ConfigMap).data!;

describe('NATS in Kubernetes', () => {
  it('when the users and permissions are compared with contracts\' busAccess, then they are what `npm run nats-config` generates', () => {
    const stream = envValues(dev, containerOf(dev, 'tickets', 'server'))['NATS_STREAM']!;
    expect(read(KUBERNETES_NATS_AUTHORIZATION)).toBe(kubernetesNatsAuthorization(stream));
    for (const objects of [dev, prod]) expect(natsConfig(objects)['authorization.conf']).toBe(kubernetesNatsAuthorization(stream));
  });

  it('when each service starts, then it signs in with its own seed, from a Secret of its own', () => {
    for (const objects of [dev, prod])
      for (const s of services) {
        const seed = effectiveEnv(objects, containerOf(objects, s, 'server')).get('NATS_NKEY_SEED');
        expect(seed && 'name' in seed ? unhashed(seed.name) : seed, s).toBe(`${s}-nats`);
      }
    const seeds = services.map((s) => envValues(dev, containerOf(dev, s, 'server'))['NATS_NKEY_SEED']);
    expect(new Set(seeds).size).toBe(services.length);
  });

  it('when the NATS Service is looked at, then it exposes the client port only, not monitoring', () => {
    for (const objects of [dev, prod]) {
      const ports = (find(objects, 'Service', 'nats') as Service).spec!.ports!.map((p: { port: number }) => p.port);
      expect(ports).toEqual([4222]);
    }
  });

  it('when prod is rendered, then NATS speaks TLS with the nats-tls certificate and every service trusts its CA', () => {
    const tls = natsConfig(prod)['tls.conf']!;
    const nats = podTemplates(prod).find((p) => p.workload.metadata?.name === 'nats')!;
    const mountOf = (spec: typeof nats.spec, container: Container, secret: string) => {
      const volume = spec.volumes?.find((v: Volume) => v.secret?.secretName === secret);
      return container.volumeMounts?.find((m: VolumeMount) => m.name === volume?.name)?.mountPath;
    };
    const natsMount = mountOf(nats.spec, containerOf(prod, 'nats', 'nats'), 'nats-tls');
    expect(tls).toContain(`cert_file: ${natsMount}/tls.crt`);
    expect(tls).toContain(`key_file: ${natsMount}/tls.key`);
    expect(natsConfig(dev)['tls.conf']).not.toMatch(/^\s*tls\s*\{/m);
    for (const s of services) {
      const pod = podTemplates(prod).find((p) => p.workload.metadata?.name === s)!;
      const server = containerOf(prod, s, 'server');
      const env = envValues(prod, server);
      expect(env['NATS_URL'], s).toMatch(/^tls:\/\//);
      expect(env['NATS_TLS_CA'], s).toBe(`${mountOf(pod.spec, server, 'nats-tls')}/ca.crt`);
      // The CA only: a service never gets the server's key.
      expect(pod.spec.volumes?.find((v) => v.secret?.secretName === 'nats-tls')?.secret?.items?.map((i) => i.key)).toEqual(['ca.crt']);
    }
  });

  describe("the dev overlay's NATS, started with its rendered configuration and secrets", () => {
    let dir: string;
    let server: NatsServer;
    const seedOf = (s: BusService) => envValues(dev, containerOf(dev, s, 'server'))['NATS_NKEY_SEED']!;
    const as = (name: string, seed: string | undefined) =>
      connect({
        servers: server.url,
        reconnect: false,
        inboxPrefix: inboxPrefixOf(name),
        ...(seed ? { authenticator: nkeyAuthenticator(new TextEncoder().encode(seed)) } : {}),
      });

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'nats-k8s-'));
      const config = join(dir, 'etc');
      mkdirSync(config);
      // Its port and store are the ones NatsServer passes as flags, and no monitoring port: the rest as rendered.
      for (const [file, text] of Object.entries(natsConfig(dev))) writeFileSync(join(config, file), text.replace(/^\s*(store_dir|http_port): .*$/gm, ''));
      const users = envValues(dev, containerOf(dev, 'nats', 'nats'));
      const adminSeed = readFileSync(join(ws.devSecrets, 'admin-nats.env'), 'utf8').trim().replace('NATS_NKEY_SEED=', '');
      server = await NatsServer.start({ storeDir: join(dir, 'store'), logFile: join(dir, 'nats.log'), configFile: join(config, 'nats.conf'), env: users, probeSeed: adminSeed });
      const admin = await as('admin', adminSeed);
      await (await jetstreamManager(admin)).streams.add({ name: 'TICKETING', subjects: ['ticket.*', 'order.*', 'payment.*'] });
      await admin.close();
    }, 60_000);
    afterAll(async () => {
      await server?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it("when orders publishes with its rendered seed, then its own event is stored and payment.created is refused", async () => {
      const nc = await as('orders', seedOf('orders'));
      try {
        const js = jetstream(nc);
        await expect(js.publish('order.created', '{}')).resolves.toMatchObject({ stream: 'TICKETING' });
        await expect(js.publish('payment.created', '{}', { timeout: 2000 })).rejects.toThrow();
      } finally {
        await nc.close();
      }
    });

    it('when a client brings no seed, then it is refused', async () => {
      await expect(as('anonymous', undefined)).rejects.toThrow(/Authorization/i);
    });
  });
});
