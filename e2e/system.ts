import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@ticketing/devkit/free-port';
import { createTestBus, createTestDatabase, testKeys, type TestBus, type TestDatabase } from '@ticketing/testkit';

/**
 * The whole system for a test: every service as its own Node process (as in production),
 * each with its own database on the test PostgreSQL server, all on one real NATS server with
 * a stream and subject prefix of their own. Logs go to `.test-results/e2e/<run>/<service>.log`.
 */
export const SERVICES = ['auth', 'tickets', 'orders', 'expiration', 'payments'] as const;
export type ServiceName = (typeof SERVICES)[number];

const root = fileURLToPath(new URL('..', import.meta.url));

/** Which service answers which API path, as the ingress routes it. */
const ROUTES: [string, ServiceName][] = [
  ['/api/users', 'auth'],
  ['/api/tickets', 'tickets'],
  ['/api/orders', 'orders'],
  ['/api/payments', 'payments'],
];

export interface SystemOptions {
  services?: readonly ServiceName[];
  /** Extra environment for every service, e.g. EXPIRATION_WINDOW_SECONDS. */
  env?: Record<string, string>;
  /** A NATS server of the test's own (default: the shared one the test kit uses). */
  natsUrl?: string;
}

export class RunningSystem {
  private readonly processes = new Map<ServiceName, ChildProcess>();

  private constructor(
    readonly services: readonly ServiceName[],
    readonly ports: Record<ServiceName, number>,
    private readonly envOf: (s: ServiceName) => Record<string, string>,
    private readonly databases: Map<ServiceName, TestDatabase>,
    private readonly bus: TestBus,
    readonly logDir: string,
  ) {}

  static async start(options: SystemOptions = {}): Promise<RunningSystem> {
    const services = options.services ?? SERVICES;
    const bus = createTestBus(options.natsUrl);
    const databases = new Map<ServiceName, TestDatabase>();
    const ports = {} as Record<ServiceName, number>;
    for (const s of services) {
      databases.set(s, await createTestDatabase());
      ports[s] = await freePort();
    }
    const run = bus.env.NATS_STREAM.toLowerCase();
    const logDir = join(root, '.test-results', 'e2e', run);
    mkdirSync(logDir, { recursive: true });
    const envOf = (s: ServiceName) => ({
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      PORT: String(ports[s]),
      DATABASE_URL: databases.get(s)!.url,
      JWT_PUBLIC_KEY: testKeys.publicKeyPem,
      JWT_PRIVATE_KEY: s === 'auth' ? testKeys.privateKeyPem : '',
      // A killed service's unacked events go to its restarted self after this, not 30 s.
      EVENT_ACK_WAIT_SECONDS: '2',
      ...bus.env,
      ...options.env,
    });
    const system = new RunningSystem(services, ports, envOf, databases, bus, logDir);
    try {
      await Promise.all(services.map((s) => system.startService(s)));
    } catch (err) {
      await system.stop();
      throw err;
    }
    return system;
  }

  /** The stream, subject prefix and NATS URL every service of this system uses. */
  get busEnv(): TestBus['env'] {
    return this.bus.env;
  }

  /** The service's own database, for checks that read its tables directly. */
  databaseUrl(service: ServiceName): string {
    const db = this.databases.get(service);
    if (!db) throw new Error(`${service} is not part of this system`);
    return db.url;
  }

  url(service: ServiceName): string {
    return `http://127.0.0.1:${this.ports[service]}`;
  }

  /** The service that answers `path`, as the ingress would route it. */
  serviceFor(path: string): ServiceName {
    const match = ROUTES.find(([prefix]) => path === prefix || path.startsWith(`${prefix}/`) || path.startsWith(`${prefix}?`));
    if (!match) throw new Error(`no service routes ${path}`);
    return match[1];
  }

  /** Starts (or restarts) a service and waits until `/readyz` answers 200. */
  async startService(service: ServiceName): Promise<void> {
    const log = createWriteStream(join(this.logDir, `${service}.log`), { flags: 'a' });
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'src/main.ts'], {
      cwd: join(root, service),
      env: { ...process.env, ...this.envOf(service) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    this.processes.set(service, child);
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) => reject(new Error(`${service} exited with ${code}; see ${this.logDir}/${service}.log`))),
    );
    exited.catch(() => {});
    await Promise.race([this.waitReady(service), exited]);
  }

  /** Kills a service's process (SIGKILL: no cleanup at all) and waits for it to be gone. */
  async kill(service: ServiceName, signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    const child = this.processes.get(service);
    if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
    const gone = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill(signal);
    this.processes.delete(service);
    return gone;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.processes.keys()].map((s) => this.kill(s, 'SIGTERM')));
    await this.bus.remove().catch(() => {});
    for (const db of this.databases.values()) await db.drop().catch(() => {});
  }

  private async waitReady(service: ServiceName, timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const res = await fetch(`${this.url(service)}/readyz`);
        if (res.status === 200) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`${service} not ready after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
