import type http from 'node:http';
import { join } from 'node:path';
import { freePort } from '@ticketing/devkit/free-port';
import { ManagedProcess } from '@ticketing/devkit/system/process';
import { pickEnv } from '@ticketing/devkit/system/process-env';
import { repoRoot } from '@ticketing/devkit/system/services';
import { ensureClientBuild } from '../scripts/start/client-build.js';
import { createFrontDoor } from '../scripts/start/front-door.js';
import type { RunningSystem } from './system.js';

/**
 * The web client in front of a RunningSystem, as `npm start` runs it: its production build
 * (made first if the sources are newer), with the event explorer on, behind npm start's front
 * door, so the browser has one origin (pages from the client, `/api/...` from the services).
 * For browser tests that take a part of the system away while the pages are open: the
 * system's services can be killed and started again, and its NATS is whatever it was given.
 */
export class WebClient {
  private constructor(
    private readonly client: ManagedProcess,
    private readonly frontDoor: http.Server,
    readonly port: number,
  ) {}

  get url(): string {
    return `http://localhost:${this.port}`;
  }

  /** Builds the client if needed (a minute or two), starts it and the front door. */
  static async start(system: RunningSystem): Promise<WebClient> {
    const server = ensureClientBuild(join(repoRoot, 'client'), () => {});
    const clientPort = await freePort();
    const client = ManagedProcess.start({
      name: 'client',
      command: process.execPath,
      args: [server],
      cwd: join(repoRoot, 'client'),
      env: {
        ...pickEnv([]),
        NODE_ENV: 'production',
        NEXT_TELEMETRY_DISABLED: '1',
        PORT: String(clientPort),
        HOSTNAME: '127.0.0.1',
        AUTH_URL: system.url('auth'),
        TICKETS_URL: system.url('tickets'),
        ORDERS_URL: system.url('orders'),
        PAYMENTS_URL: system.url('payments'),
        ...system.busEnv,
        EVENT_EXPLORER: 'on',
      },
      output: { logFile: join(system.logDir, 'client.log') },
      ready: { url: `http://127.0.0.1:${clientPort}/auth/signin` },
    });
    try {
      await client.waitReady({ timeoutMs: 60_000 });
    } catch (err) {
      await client.stop();
      throw err;
    }
    const frontDoor = createFrontDoor({ ...system.ports, client: clientPort });
    const port = await freePort();
    await new Promise<void>((resolve, reject) => {
      frontDoor.once('error', reject);
      frontDoor.listen(port, '127.0.0.1', resolve);
    });
    return new WebClient(client, frontDoor, port);
  }

  async stop(): Promise<void> {
    this.frontDoor.closeAllConnections();
    this.frontDoor.close();
    await this.client.stop();
  }
}
