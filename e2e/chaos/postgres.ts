import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { passwordFileOf, startEmbeddedPostgres, type EmbeddedDatabaseServer } from '@ticketing/devkit';
import { freePort } from '@ticketing/devkit/free-port';
import { sleep } from './workload.js';

/**
 * The chaos run's own PostgreSQL (embedded, as the test kit's), so it can restart the server
 * without disturbing the one the other tests share. Its data lives in a temporary folder (as
 * root, the server runs as `postgres`, who must reach it), kept across restarts and removed by
 * `remove()`.
 */
export class ChaosPostgres {
  private server: EmbeddedDatabaseServer | undefined;
  /** The `postgres` database's URL, the same after a restart. */
  adminUrl = '';

  private constructor(
    private readonly dir: string,
    private readonly port: number,
  ) {}

  static async start(): Promise<ChaosPostgres> {
    const postgres = new ChaosPostgres(await mkdtemp(join(tmpdir(), 'ticketing-chaos-pg-')), await freePort());
    await postgres.launch();
    return postgres;
  }

  /** Stops the server (every connection ends), keeps it down `downMs`, starts it on the same data and port. */
  async restart(downMs: number): Promise<void> {
    await this.server?.stop();
    this.server = undefined;
    await sleep(downMs);
    await this.launch();
  }

  private async launch() {
    this.server = await startEmbeddedPostgres({ dir: this.dir, port: this.port, persistent: true });
    this.adminUrl = this.server.adminUrl;
  }

  async remove(): Promise<void> {
    await this.server?.stop();
    await rm(this.dir, { recursive: true, force: true });
    await rm(passwordFileOf(this.dir), { force: true });
  }
}
