import { join } from 'node:path';
import { freePort } from '@ticketing/devkit/free-port';
import { startService, type ManagedProcess } from '@ticketing/devkit/system/process';
import { repoRoot, serviceForPath, SERVICES, type ServiceName } from '@ticketing/devkit/system/services';
import { createTestBus, createTestDatabase, testKeys, type TestBus, type TestDatabase } from '@ticketing/testkit';
import { authorisedTestBus } from './authorised-nats.js';

/**
 * The whole system for a test: every service as its own Node process (as in production),
 * each with its own database on the test PostgreSQL server, all on one real NATS server with
 * a stream and subject prefix of their own. Logs go to `.test-results/e2e/<run>/<service>.log`.
 * The processes themselves are devkit's, as `npm start` runs them.
 */
export { SERVICES, type ServiceName };

export interface SystemOptions {
  services?: readonly ServiceName[];
  /** Extra environment for every service, e.g. EXPIRATION_WINDOW_SECONDS. */
  env?: Record<string, string>;
  /** A NATS server of the test's own (default: the shared one the test kit uses). */
  natsUrl?: string;
  /**
   * A NATS server of the system's own with users and permissions, as production's: each service
   * signs in with its own nkey (authorised-nats.ts). Its log: `<logDir>/nats/nats.log`.
   */
  natsAuth?: boolean;
  /**
   * A PostgreSQL server of the test's own, by the URL of its `postgres` database: the
   * services' databases are made there (default: on the test kit's server).
   */
  databaseAdminUrl?: string;
  /** How long a service's start may take before it counts as failed (default 30 s): more on a busy machine. */
  readyTimeoutMs?: number;
}

export class RunningSystem {
  private readonly processes = new Map<ServiceName, ManagedProcess>();
  private readonly replicas: ManagedProcess[] = [];
  /** Each service's NATS seed, when the system has an authorised NATS of its own. */
  private natsSeeds: Partial<Record<ServiceName, string>> = {};

  private constructor(
    readonly services: readonly ServiceName[],
    readonly ports: Record<ServiceName, number>,
    readonly metricsPorts: Record<ServiceName, number>,
    private readonly databases: Map<ServiceName, TestDatabase>,
    private readonly bus: TestBus,
    private readonly env: Record<string, string>,
    readonly logDir: string,
    private readonly readyTimeoutMs: number,
  ) {}

  static async start(options: SystemOptions = {}): Promise<RunningSystem> {
    const services = options.services ?? SERVICES;
    const authorised = options.natsAuth ? await authorisedTestBus() : undefined;
    const bus = authorised?.bus ?? createTestBus(options.natsUrl);
    const databases = new Map<ServiceName, TestDatabase>();
    const ports = {} as Record<ServiceName, number>;
    const metricsPorts = {} as Record<ServiceName, number>;
    for (const s of services) {
      databases.set(s, await createTestDatabase(options.databaseAdminUrl));
      ports[s] = await freePort();
      metricsPorts[s] = await freePort();
    }
    const env = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      // A killed service's unacked events go to its restarted self after this, not 30 s.
      EVENT_ACK_WAIT_SECONDS: '2',
      ...bus.env,
      ...options.env,
    };
    const logDir = join(repoRoot, '.test-results', 'e2e', bus.env.NATS_STREAM.toLowerCase());
    const system = new RunningSystem(services, ports, metricsPorts, databases, bus, env, logDir, options.readyTimeoutMs ?? 30_000);
    system.natsSeeds = authorised?.seeds ?? {};
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

  /** Where the service serves its Prometheus metrics (GET /metrics): a port of its own, not the API's. */
  metricsUrl(service: ServiceName): string {
    return `http://127.0.0.1:${this.metricsPorts[service]}`;
  }

  /** The service that answers `path`, as the ingress would route it. */
  serviceFor(path: string): ServiceName {
    const service = serviceForPath(path);
    if (!service) throw new Error(`no service routes ${path}`);
    return service;
  }

  /** Starts (or restarts) a service and waits until `/readyz` answers 200. */
  async startService(service: ServiceName): Promise<void> {
    const started = this.launch(service, this.ports[service], this.metricsPorts[service], `${service}.log`);
    this.processes.set(service, started);
    await started.waitReady({ timeoutMs: this.readyTimeoutMs });
  }

  /**
   * Another process of `service` on its database and bus, with the same settings, on ports of
   * its own: another pod of its Deployment. Stopped with the system, or before by `stop`.
   */
  async startReplica(service: ServiceName): Promise<{ port: number; metricsUrl: string; stop: () => Promise<void> }> {
    const [port, metricsPort] = [await freePort(), await freePort()];
    const replica = this.launch(service, port, metricsPort, `${service}-${port}.log`);
    this.replicas.push(replica);
    await replica.waitReady({ timeoutMs: this.readyTimeoutMs });
    return { port, metricsUrl: `http://127.0.0.1:${metricsPort}`, stop: async () => void (await replica.stop()) };
  }

  private launch(service: ServiceName, port: number, metricsPort: number, logFile: string): ManagedProcess {
    const wiring = { port, metricsPort, databaseUrl: this.databaseUrl(service), natsUrl: this.bus.env.NATS_URL, keys: testKeys, natsSeed: this.natsSeeds[service] };
    return startService(service, { wiring, env: this.env, output: { logFile: join(this.logDir, logFile) } });
  }

  /** Sends a signal to a service's process: SIGSTOP freezes it (no exit, no cleanup), SIGCONT thaws it. */
  signal(service: ServiceName, signal: NodeJS.Signals): void {
    this.processes.get(service)?.signal(signal);
  }

  /** Services whose process has exited though nobody killed or stopped it: each crashed by itself. */
  exitedByThemselves(): ServiceName[] {
    return [...this.processes].filter(([, p]) => p.hasExited).map(([s]) => s);
  }

  /** Kills a service's process (SIGKILL: no cleanup at all) and waits for it to be gone. */
  async kill(service: ServiceName): Promise<number | null> {
    const running = this.processes.get(service);
    this.processes.delete(service);
    return running ? running.kill() : null;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.processes.values(), ...this.replicas].map((p) => p.stop()));
    this.processes.clear();
    await this.bus.remove().catch(() => {});
    for (const db of this.databases.values()) await db.drop().catch(() => {});
  }
}
