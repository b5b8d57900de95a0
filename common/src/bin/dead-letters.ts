/**
 * The dead letters of a running system: list, show, replay or drop them.
 *
 *   npm run dead-letters -- list [--consumer <name>] [--json]
 *   npm run dead-letters -- show <seq>
 *   npm run dead-letters -- replay <seq>... | --consumer <name>
 *   npm run dead-letters -- drop <seq>... | --consumer <name>
 *
 * In a service's image: `node /app/common/dist/bin/dead-letters.js list` (kubectl exec, or a
 * Job). It reads NATS_URL, NATS_STREAM, NATS_SUBJECT_PREFIX and NATS_TLS_CA as the services do,
 * and NATS_NKEY_SEED: the operator's (`admin`) seed, not a service's, which may not repair others'
 * letters (beside `npm start`, the one it generated).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { busDefaults } from '@ticketing/contracts';
import { pino } from 'pino';
import { Bus } from '../bus/bus.js';
import {
  dropDeadLetter,
  getDeadLetter,
  listDeadLetters,
  replayDeadLetter,
  type DeadLetter,
} from '../bus/dead-letter-admin.js';

const usage = `usage: dead-letters list [--consumer <name>] [--json]
       dead-letters show <seq>
       dead-letters replay <seq>... | --consumer <name>
       dead-letters drop <seq>... | --consumer <name>`;

class UsageError extends Error {}

async function main(argv: string[]) {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { consumer: { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
  });
  const [command, ...rest] = positionals;
  if (values.help || !command) throw new UsageError(usage);
  if (!['list', 'show', 'replay', 'drop'].includes(command)) throw new UsageError(`unknown command "${command}"\n${usage}`);

  const bus = await Bus.connect(
    {
      url: process.env.NATS_URL || busDefaults.url,
      name: 'dead-letters',
      stream: process.env.NATS_STREAM || busDefaults.stream,
      subjectPrefix: process.env.NATS_SUBJECT_PREFIX ?? busDefaults.subjectPrefix,
      manageStream: false,
      // The operator's identity (`admin` in the server's users): it may read and repair every consumer's letters.
      nkeySeed: process.env.NATS_NKEY_SEED || npmStartAdminSeed(),
      tlsCaFile: process.env.NATS_TLS_CA || undefined,
      inboxPrefix: '_INBOX_admin',
    },
    pino({ level: 'warn' }, pino.destination(2)),
  );
  try {
    if (command === 'list') {
      const letters = await listDeadLetters(bus, { consumer: values.consumer });
      console.log(values.json ? JSON.stringify(letters.map(asJson), null, 2) : describe(letters));
      return;
    }
    const letters = await chosen(bus, rest, values.consumer);
    if (command === 'show') {
      for (const letter of letters) console.log(JSON.stringify(asJson(letter), null, 2));
      return;
    }
    for (const letter of letters) {
      await (command === 'replay' ? replayDeadLetter(bus, letter) : dropDeadLetter(bus, letter));
      console.log(`${command === 'replay' ? 'replayed' : 'dropped'} ${letter.seq} (${letter.consumer} ${letter.subject} ${letter.eventId})`);
    }
    console.log(`${letters.length} dead letter${letters.length === 1 ? '' : 's'} ${command === 'replay' ? 'replayed' : 'dropped'}`);
  } finally {
    await bus.close();
  }
}

/**
 * Beside `npm start` (run from the repository), its NATS's admin seed, which it keeps in
 * `.data/nats-auth/` (or TICKETING_DATA_DIR's): so `npm run dead-letters` needs no setting.
 * Nowhere else is there such a file; there NATS_NKEY_SEED names the seed.
 */
function npmStartAdminSeed(): string | undefined {
  const file = join(process.env.TICKETING_DATA_DIR ?? join(process.cwd(), '.data'), 'nats-auth', 'nats-keys.json');
  if (!existsSync(file)) return undefined;
  return (JSON.parse(readFileSync(file, 'utf8')) as { admin?: { seed?: string } }).admin?.seed;
}

/** The dead letters named by sequence, or all of one consumer's; never "everything" by accident. */
async function chosen(bus: Bus, seqs: string[], consumer: string | undefined): Promise<DeadLetter[]> {
  if (seqs.length > 0 && consumer) throw new UsageError('name dead letters by <seq>, or all of one --consumer, not both');
  if (consumer) return listDeadLetters(bus, { consumer });
  if (seqs.length === 0) throw new UsageError(`name the dead letters: <seq>... or --consumer <name>\n${usage}`);
  const letters: DeadLetter[] = [];
  for (const s of seqs) {
    const seq = Number(s);
    if (!Number.isSafeInteger(seq) || seq < 1) throw new UsageError(`"${s}" is not a sequence number`);
    const letter = await getDeadLetter(bus, seq);
    if (!letter) throw new UsageError(`no dead letter at sequence ${seq}`);
    letters.push(letter);
  }
  return letters;
}

function describe(letters: DeadLetter[]): string {
  if (letters.length === 0) return 'no dead letters';
  const byConsumer = new Map<string, DeadLetter[]>();
  for (const l of letters) byConsumer.set(l.consumer, [...(byConsumer.get(l.consumer) ?? []), l]);
  return [...byConsumer]
    .map(([consumer, own]) =>
      [
        `${consumer}: ${own.length} dead letter${own.length === 1 ? '' : 's'}`,
        ...own.map((l) => `  ${l.seq}  ${l.time.toISOString()}  ${l.subject}  event ${l.eventId}  after ${l.deliveries} deliver${l.deliveries === 1 ? 'y' : 'ies'}: ${l.reason}`),
      ].join('\n'),
    )
    .join('\n');
}

function asJson(letter: DeadLetter) {
  let payload: unknown = letter.payload;
  try {
    payload = JSON.parse(letter.payload);
  } catch {
    // not JSON: shown as the text it is
  }
  return { ...letter, time: letter.time.toISOString(), payload };
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof UsageError ? err.message : `dead-letters: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
