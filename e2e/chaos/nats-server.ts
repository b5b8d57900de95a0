import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { freePort } from '@ticketing/devkit/free-port';

/**
 * A nats-server with JetStream of the chaos run's own, so it can be restarted without
 * disturbing the shared server on 4222 that other tests use. A restart keeps the port and
 * the store directory: streams, consumers and their positions survive it, as in production.
 */
export class PrivateNatsServer {
  private child: ChildProcess | undefined;
  restarts = 0;

  private constructor(
    readonly port: number,
    readonly storeDir: string,
    private readonly logFile: string,
    private readonly binary: string,
  ) {}

  static async start(dir: string): Promise<PrivateNatsServer> {
    const port = await freePort();
    const storeDir = join(dir, 'nats-store');
    mkdirSync(storeDir, { recursive: true });
    const server = new PrivateNatsServer(port, storeDir, join(dir, 'nats-server.log'), findNatsServer());
    await server.launch();
    return server;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** Stops the server with `signal` (SIGKILL: no flush, no goodbye to clients) and starts it again. */
  async restart(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await this.halt(signal);
    await this.launch();
    this.restarts++;
  }

  async stop(): Promise<void> {
    await this.halt('SIGTERM');
    rmSync(this.storeDir, { recursive: true, force: true });
  }

  private async launch() {
    const log = createWriteStream(this.logFile, { flags: 'a' });
    const child = spawn(this.binary, ['-js', '-a', '127.0.0.1', '-p', String(this.port), '-sd', this.storeDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    this.child = child;
    await this.waitForJetStream();
  }

  private async halt(signal: NodeJS.Signals) {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await gone;
  }

  /** Until a client can connect and JetStream answers (it recovers the store first). */
  private async waitForJetStream(timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const child = this.child!;
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`nats-server exited; see ${this.logFile}`);
      try {
        const nc = await connect({ servers: this.url, reconnect: false, timeout: 1000 });
        try {
          await (await jetstreamManager(nc)).getAccountInfo();
          return;
        } finally {
          await nc.close();
        }
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`nats-server not ready after ${timeoutMs} ms: ${String(err)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
}

function findNatsServer(): string {
  const onPath = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' }).stdout.trim();
  if (onPath) return onPath;
  if (existsSync('/usr/sbin/nats-server')) return '/usr/sbin/nats-server';
  throw new Error('nats-server not found: install it (apt-get install nats-server)');
}
