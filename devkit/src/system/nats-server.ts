import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, nkeyAuthenticator } from '@nats-io/transport-node';
import { freePort } from '../free-port.js';
import { inboxPrefixOf } from './nats-auth.js';
import { pickEnv } from './process-env.js';
import { repoRoot } from './services.js';

/**
 * The oldest nats-server release line accepted: production's (the manifests pin nats:2.10.x).
 * Older servers behave differently where it matters: on 2.9, `msg.term(reason)` is not final.
 * infra/test/nats-version.test.ts keeps this, the manifests and the test server in step.
 */
export const NATS_MIN_VERSION = '2.10';

const HOW_TO_GET_ONE = `scripts/nats-server.sh fetches Debian trixie's into .nats/, or set NATS_SERVER_BIN to a nats-server ${NATS_MIN_VERSION} or newer`;

/** Whether a server version ("2.10.27") is of production's release line or newer. */
export function isSupportedNatsVersion(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const [minMajor = 0, minMinor = 0] = NATS_MIN_VERSION.split('.').map(Number);
  return major > minMajor || (major === minMajor && minor >= minMinor);
}

/** Why a server of `version` (at `where`) is refused, and what to do instead. */
function unsupportedNatsMessage(version: string, where: string): string {
  return `nats-server ${version} (${where}) is older than ${NATS_MIN_VERSION}, the release production runs: ${HOW_TO_GET_ONE}`;
}

/** "nats-server: v2.10.27" -> "2.10.27"; undefined if it does not run. */
export function natsServerVersion(binary: string): string | undefined {
  const out = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  return /v(\d+\.\d+\.\d+)/.exec(`${out.stdout}${out.stderr}`)?.[1];
}

/**
 * The `nats-server` program, of production's release line or newer: NATS_SERVER_BIN if set
 * (throws if that one is older or does not run), else the one scripts/nats-server.sh put in
 * .nats/, else one on the PATH or where Debian's package puts it (not on every user's PATH).
 * Undefined when there is none of that line: an older one is not taken (so `npm start` can
 * fetch one), and NatsServer.start says which it passed over.
 */
export function findNatsServer(): string | undefined {
  const given = process.env.NATS_SERVER_BIN;
  if (given) {
    const version = natsServerVersion(given);
    if (!version) throw new Error(`NATS_SERVER_BIN=${given} is not a nats-server that runs`);
    if (!isSupportedNatsVersion(version)) throw new Error(unsupportedNatsMessage(version, `NATS_SERVER_BIN=${given}`));
    return given;
  }
  return installedNatsServers().find(({ version }) => isSupportedNatsVersion(version))?.path;
}

function installedNatsServers(): { path: string; version: string }[] {
  const onPath = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' }).stdout.trim();
  const candidates = [join(repoRoot, '.nats', 'usr', 'sbin', 'nats-server'), onPath, '/usr/sbin/nats-server'];
  return [...new Set(candidates)]
    .filter((path) => path && existsSync(path))
    .map((path) => ({ path, version: natsServerVersion(path) ?? 'of unknown version' }));
}

/** Why findNatsServer found none: the older one it passed over, or none at all; and how to get one. */
function noNatsServerMessage(): string {
  const older = installedNatsServers()[0];
  return older ? unsupportedNatsMessage(older.version, older.path) : `nats-server not found: ${HOW_TO_GET_ONE}`;
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
  /** A configuration file (`-c`), e.g. natsCredentials()'s users and permissions; default: open to anyone. */
  configFile?: string;
  /** With users configured: the seed the readiness check signs in with (one that may call `$JS.API.INFO`). */
  probeSeed?: string;
  /** Variables the configuration reads (`$NAME`): the server gets these and BASE_ENV's, not this process's whole environment. */
  env?: Record<string, string>;
  /** With TLS configured: the CA the readiness check trusts. */
  probeTlsCaFile?: string;
}

/**
 * A nats-server with JetStream, on 127.0.0.1. `npm start` runs one with its store in `.data/`,
 * the test run one for all its tests (testkit's global setup), and the chaos run one of its
 * own, so it can restart it without disturbing the one the other tests use. A restart keeps the port and the store: streams, consumers and their
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
    if (!binary) throw new Error(noNatsServerMessage());
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
    const config = this.options.configFile ? ['-c', this.options.configFile] : [];
    const child = spawn(binary, [...config, '-js', '-a', '127.0.0.1', '-p', String(this.port), '-sd', storeDir], { stdio: ['ignore', out, out], env: { ...pickEnv([]), ...this.options.env } });
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
        const seed = this.options.probeSeed;
        const nc = await connect({
          servers: this.url,
          reconnect: false,
          timeout: 1000,
          ...(seed ? { authenticator: nkeyAuthenticator(new TextEncoder().encode(seed)), inboxPrefix: inboxPrefixOf('admin') } : {}),
          ...(this.options.probeTlsCaFile ? { tls: { caFile: this.options.probeTlsCaFile } } : {}),
        });
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
