import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { descendants } from '@ticketing/devkit/system/process-tree';
import { acceptsConnection, eventually, NATS_URL } from '@ticketing/testkit';
import { ApiUser, at } from '@ticketing/testkit/api-user';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Launcher, processesMentioning } from './launcher.js';

/**
 * `npm start` with its data inside a folder only its owner may enter (mkdtemp makes it mode
 * 700, like a home folder under /root). As root, PostgreSQL runs as a user of its own, who
 * cannot get through that folder; as anyone else it runs as that same user, who can.
 */
const run = randomBytes(4).toString('hex');
const closed = mkdtempSync(join(tmpdir(), 'ticketing-closed-'));
const dataDir = join(closed, 'data');
const env = { NATS_STREAM: `E2E_START_${run}`, NATS_SUBJECT_PREFIX: `start${run}.`, LOG_LEVEL: 'warn' };

afterAll(async () => {
  const nc = await connect({ servers: NATS_URL });
  await (await jetstreamManager(nc)).streams.delete(env.NATS_STREAM).catch(() => false);
  await nc.close();
  rmSync(closed, { recursive: true, force: true });
});

describe('npm start with TICKETING_DATA_DIR inside a folder others cannot enter', () => {
  if (process.getuid?.() === 0) {
    it('when run as root, then it stops at once, non-zero, with a plain message that names the folder and the ways out', async () => {
      const began = Date.now();
      const { code, output } = await Launcher.runToExit({ dataDir, env, name: `start-closed-${run}` });
      const tookMs = Date.now() - began;

      expect(code).not.toBe(0);
      expect(output).toContain('Could not start Ticketing: PostgreSQL does not run as root, so the embedded server runs as the user "postgres"');
      expect(output).toContain(`who cannot enter ${closed} (mode 700) on the way to its data in ${join(dataDir, 'postgres')}.`);
      expect(output).toContain('TICKETING_DATA_DIR');
      expect(output).toContain(`chmod o+x ${closed}`);
      expect(output).toContain('set DATABASE_URL to a PostgreSQL server');
      expect(output).not.toMatch(/^\s+at /m); // no stack trace
      expect(tookMs).toBeLessThan(10_000);
      expect(processesMentioning(dataDir)).toEqual([]);
    }, 60_000);
  } else {
    it('when run as a normal user, then PostgreSQL runs as that user, who may enter it, and the system starts', async () => {
      const launcher = await Launcher.start({ dataDir, env, name: `start-closed-${run}` });
      try {
        expect((await fetch(`${launcher.url}/api/users/currentuser`)).status).toBe(200);
      } finally {
        await launcher.interrupt();
      }
    }, 300_000);
  }
});

/**
 * `npm start` as a developer runs it, with a secret in the shell that no process of the system
 * needs. Each process is read from /proc: its command line, folder and environment.
 */
describe('npm start on this machine only', () => {
  const open = mkdtempSync(join(tmpdir(), 'ticketing-local-'));
  // As root, PostgreSQL runs as its own user, who must be able to reach its data directory.
  chmodSync(open, 0o755);
  const secret = `shell-secret-${run}`;
  const localEnv = {
    ...env,
    NATS_STREAM: `E2E_LOCAL_${run}`,
    NATS_SUBJECT_PREFIX: `local${run}.`,
    SECRET_FROM_SHELL: secret,
    // A setting only orders reads.
    EXPIRATION_WINDOW_SECONDS: '777',
    // Not the tests' NATS: npm start runs a server of its own, whose environment is checked too.
    NATS_URL: '',
  };
  let launcher: Launcher;
  beforeAll(async () => {
    launcher = await Launcher.start({ dataDir: join(open, 'data'), env: localEnv, name: `start-local-${run}` });
  }, 300_000);
  afterAll(async () => {
    if (launcher) await launcher.interrupt();
    const nc = await connect({ servers: NATS_URL });
    await (await jetstreamManager(nc)).streams.delete(localEnv.NATS_STREAM).catch(() => false);
    await nc.close();
    rmSync(open, { recursive: true, force: true });
  }, 60_000);

  it('when it has started, then the front door answers on 127.0.0.1 and not on another address of this machine', async () => {
    expect((await fetch(`http://127.0.0.1:${launcher.port}/api/users/currentuser`)).status).toBe(200);
    expect(await acceptsConnection('127.0.0.2', launcher.port)).toBe(false);
  });

  it('when each service, the client, PostgreSQL and NATS are looked at, then none sees the shell\'s secret, each service sees the settings it reads and no other\'s, and every port they listen on is on the loopback only', async () => {
    const found = systemProcesses(launcher.pid);
    expect(Object.keys(found).sort()).toEqual(['auth', 'client', 'expiration', 'orders', 'payments', 'tickets']);
    // The shell's secret did reach npm start itself: the test would prove nothing otherwise.
    expect(environOf(launcher.pid)['SECRET_FROM_SHELL']).toBe(secret);
    for (const [name, processEnv] of Object.entries(found)) {
      expect({ name, secret: processEnv['SECRET_FROM_SHELL'] }).toEqual({ name, secret: undefined });
      expect({ name, names: Object.values(processEnv).filter((v) => v.includes(secret)) }).toEqual({ name, names: [] });
    }
    expect(found.orders!['EXPIRATION_WINDOW_SECONDS']).toBe('777');
    expect(found.tickets!['EXPIRATION_WINDOW_SECONDS']).toBeUndefined();
    expect(found.tickets!['JWT_PRIVATE_KEY']).toBeFalsy();
    for (const service of ['auth', 'tickets', 'orders', 'expiration', 'payments']) {
      const processEnv = found[service]!;
      expect(processEnv['HOST']).toBe('127.0.0.1');
      for (const port of [Number(processEnv['PORT']), Number(processEnv['METRICS_PORT'])]) {
        expect({ service, port, open: await acceptsConnection('127.0.0.1', port) }).toEqual({ service, port, open: true });
        expect({ service, port, open: await acceptsConnection('127.0.0.2', port) }).toEqual({ service, port, open: false });
      }
      expect((await fetch(`http://127.0.0.1:${processEnv['PORT']}/metrics`)).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${processEnv['METRICS_PORT']}/metrics`)).status).toBe(200);
    }
    // PostgreSQL (the server and every backend it forks) and NATS too.
    const servers = descendants(launcher.pid).filter((pid) => ['postgres', 'nats-server'].includes(commandOf(pid) ?? ''));
    expect(new Set(servers.map(commandOf))).toEqual(new Set(['postgres', 'nats-server']));
    for (const pid of servers) expect({ pid, secret: environOf(pid)['SECRET_FROM_SHELL'] }).toEqual({ pid, secret: undefined });
    const clientPort = Number(found.client!['PORT']);
    expect(await acceptsConnection('127.0.0.1', clientPort)).toBe(true);
    expect(await acceptsConnection('127.0.0.2', clientPort)).toBe(false);
  });

  it('when its PostgreSQL is asked with postgres/postgres, then it refuses; the generated password, kept in .data (mode 600), opens it; each service has a role of its own, which cannot reach another\'s database', async () => {
    const passwordFile = join(open, 'data', 'postgres.password');
    expect(statSync(passwordFile).mode & 0o777).toBe(0o600);
    const password = readFileSync(passwordFile, 'utf8').trim();
    expect(password).toMatch(/^[0-9a-f]{48}$/);
    const databaseUrl = new URL(systemProcesses(launcher.pid).tickets!['DATABASE_URL']!);
    expect(databaseUrl.username).toBe('ticketing_tickets');
    expect(decodeURIComponent(databaseUrl.password)).not.toBe(password);
    const signIn = async (secretTried: string, user = 'postgres', database = 'postgres') => {
      const url = new URL(databaseUrl);
      url.username = user;
      url.pathname = `/${database}`;
      url.password = secretTried;
      const client = new pg.Client({ connectionString: url.toString() });
      try {
        await client.connect();
        return 'connected';
      } catch (err) {
        return (err as { code?: string }).code;
      } finally {
        await client.end().catch(() => {});
      }
    };
    expect(await signIn('postgres')).toBe('28P01');
    expect(await signIn(password)).toBe('connected');
    const own = decodeURIComponent(databaseUrl.password);
    expect(await signIn(own, 'ticketing_tickets', 'ticketing_tickets')).toBe('connected');
    expect(await signIn(own, 'ticketing_tickets', 'ticketing_orders')).toBe('42501');
  });
});


/** The program's name, as the kernel knows it. */
function commandOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined; // gone meanwhile
  }
}

function environOf(pid: number): Record<string, string> {
  return Object.fromEntries(
    readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .filter(Boolean)
      .map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]),
  );
}

/** The environment of each service (by its folder) and of the client, among the processes under `root`. */
function systemProcesses(root: number): Record<string, Record<string, string>> {
  const found: Record<string, Record<string, string>> = {};
  for (const pid of descendants(root)) {
    try {
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const folder = basename(readlinkSync(`/proc/${pid}/cwd`));
      // Next's server renames itself (process.title), so the client is known by its folder.
      if (args.includes('src/main.ts')) found[folder] = environOf(pid);
      else if (folder === 'client') found['client'] ??= environOf(pid);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/**
 * `npm start` with NATS_URL: the server, and the stream on it, outlive the data folder. A new
 * data folder is a new system, whose databases never had the earlier system's tickets and orders.
 */
describe('npm start with NATS_URL, whose stream holds an earlier system\'s events', () => {
  const folder = mkdtempSync(join(tmpdir(), 'ticketing-earlier-'));
  chmodSync(folder, 0o755); // as root, PostgreSQL runs as its own user, who must reach its data
  const earlierEnv = { ...env, NATS_STREAM: `E2E_EARLIER_${run}`, NATS_SUBJECT_PREFIX: `earlier${run}.` };
  const subject = `${earlierEnv.NATS_SUBJECT_PREFIX}ticket.created`;
  afterAll(async () => {
    const nc = await connect({ servers: NATS_URL });
    await (await jetstreamManager(nc)).streams.delete(earlierEnv.NATS_STREAM).catch(() => false);
    await nc.close();
    rmSync(folder, { recursive: true, force: true });
  });

  /** The stream's last ticket.created, or undefined when it has none. */
  async function lastTicketCreated(): Promise<{ id: string } | undefined> {
    const nc = await connect({ servers: NATS_URL });
    try {
      const message = await (await jetstreamManager(nc)).streams.getMessage(earlierEnv.NATS_STREAM, { last_by_subj: subject }).catch(() => null);
      return message ? (message.json() as { id: string }) : undefined;
    } finally {
      await nc.close();
    }
  }

  it('when the data folder is new, then the system starts from an empty stream; when it is kept, a restart keeps the stream', async () => {
    const nc = await connect({ servers: NATS_URL });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: earlierEnv.NATS_STREAM, subjects: [`${earlierEnv.NATS_SUBJECT_PREFIX}>`] });
    await jsm.jetstream().publish(subject, JSON.stringify({ id: 'a-ticket-of-an-earlier-system' }));
    await nc.close();
    expect(await lastTicketCreated()).toEqual({ id: 'a-ticket-of-an-earlier-system' });

    const dataDir = join(folder, 'data');
    const first = await Launcher.start({ dataDir, env: earlierEnv, name: `start-earlier-${run}` });
    let ticketId: string;
    try {
      expect(readFileSync(first.logFile, 'utf8')).toContain(`stream ${earlierEnv.NATS_STREAM} on ${NATS_URL} held 1 events of an earlier system; it starts again empty`);
      expect(await lastTicketCreated()).toBeUndefined();
      const seller = await ApiUser.signUp(at(first.url));
      ticketId = (await seller.expect(201, 'POST', '/api/tickets', { title: 'Kept', price: 10 })).id as string;
      await eventually(async () => (await lastTicketCreated())?.id === ticketId, { what: 'the new ticket.created on the stream' });
    } finally {
      await first.interrupt();
    }

    const second = await Launcher.start({ dataDir, env: earlierEnv, name: `start-earlier-again-${run}` });
    try {
      expect(await lastTicketCreated()).toMatchObject({ id: ticketId });
      expect(readFileSync(second.logFile, 'utf8')).not.toContain('it starts again empty\n'.repeat(2));
    } finally {
      await second.interrupt();
    }
  }, 300_000);
});
