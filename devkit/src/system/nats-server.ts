import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { freePort } from '../free-port.js';

/** The `nats-server` program: on the PATH, or where Debian's package puts it (not on every user's PATH). */
export function findNatsServer(): string | undefined {
  const onPath = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' }).stdout.trim();
  if (onPath) return onPath;
  return existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : undefined;
}

export interface NatsServerOptions {
  /** Default: a free one. */
  port?: number;
  storeDir: string;
  /** Its output, appended: each start's own lines are quoted when that start fails. */
  logFile: string;
  /** Default: findNatsServer(). */
  binary?: string;
  /** How long a start may take, recovering the store included. */
  timeoutMs?: number;
}

/**
 * A nats-server with JetStream, on 127.0.0.1. `npm start` runs one with its store in `.data/`;
 * the chaos run runs one of its own, so it can restart it without disturbing the shared server
 * the other tests use. A restart keeps the port and the store: streams, consumers and their
 * positions survive it, as in production.
 */
export class NatsServer {
  private child: ChildProcess | undefined;
  /** How many times restart() has brought it back. */
  restarts = 0;

  private constructor(
    readonly port: number,
    private readonly options: NatsServerOptions & { binary: string },
  ) {}

  static async start(options: NatsServerOptions): Promise<NatsServer> {
    const binary = options.binary ?? findNatsServer();
    if (!binary) throw new Error('nats-server not found: install it (Debian/Ubuntu: apt-get install nats-server)');
    const server = new NatsServer(options.port ?? (await freePort()), { ...options, binary });
    await server.launch();
    return server;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** Stops it with `signal` (SIGKILL: no flush, no goodbye to clients) and starts it again. */
  async restart(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await this.halt(signal);
    await this.launch();
    this.restarts++;
  }

  /** SIGTERM: it flushes its store and says goodbye to its clients. */
  async stop(): Promise<void> {
    await this.halt('SIGTERM');
  }

  /**
   * Starts it again after stop(), on the same port and store: stop, wait, startAgain is an
   * outage as long as the wait (restart() is one as short as a start).
   */
  async startAgain(): Promise<void> {
    if (this.child) throw new Error('nats-server is already running');
    await this.launch();
  }

  private async launch() {
    const { storeDir, logFile, binary } = this.options;
    mkdirSync(storeDir, { recursive: true });
    mkdirSync(dirname(logFile), { recursive: true });
    const out = openSync(logFile, 'a');
    const logStart = fstatSync(out).size;
    const child = spawn(binary, ['-js', '-a', '127.0.0.1', '-p', String(this.port), '-sd', storeDir], { stdio: ['ignore', out, out] });
    closeSync(out); // the server has its own copy
    this.child = child;
    try {
      await this.waitForJetStream(child);
    } catch (err) {
      await this.halt('SIGKILL');
      // Its own words from this start: the last lines it logged.
      const said = readFileSync(logFile).subarray(logStart).toString().trim().split('\n').slice(-5).join('\n');
      throw new Error(`nats-server did not start (${(err as Error).message}; log: ${logFile}):\n${said || 'no output'}`);
    }
  }

  private async halt(signal: NodeJS.Signals) {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await gone;
  }

  /** Until a client can connect and JetStream answers: clients come before it has recovered its store. */
  private async waitForJetStream(child: ChildProcess) {
    const timeoutMs = this.options.timeoutMs ?? 30_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`it exited (${child.exitCode ?? child.signalCode})`);
      try {
        const nc = await connect({ servers: this.url, reconnect: false, timeout: 1000 });
        try {
          await (await jetstreamManager(nc)).getAccountInfo();
          return;
        } finally {
          await nc.close();
        }
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`not ready after ${timeoutMs / 1000} s: ${String(err)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
}
