/**
 * The whole system as containers on one network of its own: NATS and PostgreSQL first, then
 * the services and the client, the front door last (nginx resolves its upstreams at start).
 * Each container gets the Service names that select its pod as network aliases, so the
 * manifests' URLs (nats://nats:4222, postgres://…@tickets-postgres:5432/…) work unchanged.
 * Probe ports are published on 127.0.0.1 only, for the tests to call from outside.
 */
import { engineMemory, type ContainerSpec } from './manifests.js';
import type { Engine } from './engine.js';

const ORDER = (s: ContainerSpec) => (s.workload === 'front-door' ? 3 : s.workload === 'client' ? 2 : s.aliases.some((a) => /postgres|nats/.test(a)) ? 0 : 1);

export class ContainerSystem {
  private readonly started: string[] = [];
  readonly network: string;

  constructor(
    private readonly engine: Engine,
    readonly prefix: string,
    /** The image to run for the image a manifest names (ticketing/tickets -> the one just built). */
    private readonly imageFor: (image: string) => string,
  ) {
    this.network = `${prefix}-net`;
  }

  containerName = (workload: string) => `${this.prefix}-${workload}`;

  async start(specs: ContainerSpec[]) {
    await this.engine.cmd('network', 'create', this.network);
    for (const rank of [0, 1, 2, 3]) {
      const group = specs.filter((s) => ORDER(s) === rank);
      await Promise.all(group.map((s) => this.run(s)));
      await Promise.all(group.map((s) => this.waitReady(s)));
    }
  }

  /** `engine run` for one spec, with the manifests' security settings. */
  async run(spec: ContainerSpec, image = this.imageFor(spec.image)) {
    const name = this.containerName(spec.workload);
    const args = ['run', '-d', '--name', name, '--network', this.network];
    for (const alias of spec.aliases) args.push('--network-alias', alias);
    if (spec.user) args.push('--user', spec.user);
    for (const g of spec.groups) args.push('--group-add', g);
    if (spec.readOnlyRoot) {
      args.push('--read-only');
      // podman adds writable /tmp, /run and /var/tmp to a read-only container unless told not
      // to; Kubernetes does not, so neither does this (the manifests mount what they need).
      if (this.engine.name === 'podman') args.push('--read-only-tmpfs=false');
    }
    if (spec.dropAll) args.push('--cap-drop', 'ALL');
    if (spec.noNewPrivileges) args.push('--security-opt', 'no-new-privileges');
    if (spec.memoryLimit) args.push('--memory', engineMemory(spec.memoryLimit));
    for (const path of spec.tmpfs) args.push('--tmpfs', `${path}:rw,mode=1777`);
    for (const m of spec.mounts) {
      // A named volume starts empty and root's: `U` gives it to the container's user, as fsGroup does.
      const options = [m.readOnly ? 'ro' : 'rw', ...(m.named && this.engine.name === 'podman' ? ['U'] : [])];
      args.push('-v', `${m.named ? `${this.prefix}-${m.source}` : m.source}:${m.target}:${options.join(',')}`);
    }
    for (const port of Object.values(spec.ports)) args.push('-p', `127.0.0.1::${port}`);
    for (const [k, v] of Object.entries(spec.env)) args.push('-e', `${k}=${v}`);
    args.push('--stop-timeout', String(spec.gracePeriodSeconds));
    if (spec.entrypoint) args.push('--entrypoint', spec.entrypoint);
    args.push(image, ...spec.args);
    await this.engine.cmd(...args);
    if (!this.started.includes(name)) this.started.push(name);
  }

  /** The host port a container's port is published on. */
  async hostPort(workload: string, port: number): Promise<number> {
    const out = await this.engine.cmd('port', this.containerName(workload), `${port}/tcp`);
    return Number(out.split('\n')[0]!.split(':').at(-1));
  }

  /** Waits until the container passes its readiness probe (HTTP from outside, or pg_isready/nats inside). */
  async waitReady(spec: ContainerSpec, timeoutMs = 180_000) {
    const deadline = Date.now() + timeoutMs;
    const name = this.containerName(spec.workload);
    for (;;) {
      if (await this.isReady(spec)) return;
      const state = await this.engine.cmd('inspect', '--format', '{{.State.Status}}', name);
      if (state !== 'running') throw new Error(`${name} is ${state} before becoming ready:\n${await this.logs(spec.workload)}`);
      if (Date.now() > deadline) throw new Error(`${name} not ready after ${timeoutMs / 1000} s:\n${await this.logs(spec.workload)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  async isReady(spec: ContainerSpec): Promise<boolean> {
    if (spec.readinessPath) {
      try {
        const port = await this.hostPort(spec.workload, spec.readinessPath.port);
        return (await fetch(`http://127.0.0.1:${port}${spec.readinessPath.path}`)).status === 200;
      } catch {
        return false;
      }
    }
    if (spec.aliases.some((a) => a.endsWith('postgres'))) {
      return (await this.engine.try('exec', this.containerName(spec.workload), 'pg_isready', '-h', '127.0.0.1')).code === 0;
    }
    return true;
  }

  logs = async (workload: string) => {
    const r = await this.engine.try('logs', '--tail', '40', this.containerName(workload));
    return `${r.stdout}${r.stderr}`;
  };

  /** Removes every container, the network and the named volumes. */
  async remove() {
    for (const name of this.started.reverse()) await this.engine.try('rm', '-f', '-t', '2', name);
    await this.engine.try('network', 'rm', '-f', this.network);
    const volumes = await this.engine.try('volume', 'ls', '--quiet', '--filter', `name=${this.prefix}-`);
    for (const v of volumes.stdout.split('\n').filter(Boolean)) await this.engine.try('volume', 'rm', '-f', v);
  }
}
