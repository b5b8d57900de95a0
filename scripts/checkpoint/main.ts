/**
 * `npm run checkpoint -- <chapter>`: after a chapter of docs/guide/, checks that the running
 * system does what the chapter teaches, through its front door only (as a browser, curl and the
 * event explorer see it). `--all` checks every chapter in order. `--url` or TICKETING_URL names
 * the front door (default http://localhost:3000; a cluster's forwarded one for chapter 9).
 * Exits 0 only when every check passed (a skipped one says why it could not tell).
 */
import { parseArgs } from 'node:util';
import { CHAPTERS } from './chapters.js';
import { Runner } from './runner.js';
import { Shop } from './shop.js';

const USAGE = `usage: npm run checkpoint -- <chapter 1-${CHAPTERS.length}> | --all  [--url http://localhost:3000] [--timeout 20]
  --url       the front door (default: TICKETING_URL, else http://localhost:3000)
  --timeout   seconds an effect carried by events may take to show (default 20; more on a cluster)
  --list      the chapters and their checks`;

function usage(problem?: string): never {
  process.stderr.write(`${problem ? `${problem}\n` : ''}${USAGE}\n`);
  process.exit(2);
}

let options;
try {
  options = parseArgs({
    allowPositionals: true,
    options: { all: { type: 'boolean' }, url: { type: 'string' }, timeout: { type: 'string' }, list: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
} catch (err) {
  usage((err as Error).message);
}
const { values, positionals } = options;
if (values.help) usage();
if (values.list) {
  for (const chapter of CHAPTERS) {
    process.stdout.write(`${chapter.number}. ${chapter.title}\n${chapter.checks.map((c) => `   - ${c.title}\n`).join('')}`);
  }
  process.exit(0);
}
const chosen = values.all ? CHAPTERS : positionals.map((p) => CHAPTERS.find((c) => String(c.number) === p.replace(/^0/, '')) ?? usage(`no chapter ${p}`));
if (chosen.length === 0) usage();
const timeoutSeconds = Number(values.timeout ?? 20);
if (!(timeoutSeconds > 0)) usage(`--timeout must be a number of seconds, not ${values.timeout}`);
const url = (values.url ?? process.env.TICKETING_URL ?? 'http://localhost:3000').replace(/\/+$/, '');

const shop = new Shop(url, timeoutSeconds * 1000);
const runner = new Runner(shop, (line) => process.stdout.write(`${line}\n`));
try {
  for (const chapter of chosen) await runner.chapter(chapter);
} finally {
  await shop.close();
}
if (chosen.length > 1) process.stdout.write(runner.failed ? `${runner.failed} check(s) failed.\n` : 'Every check passed.\n');
process.exit(runner.failed ? 1 : 0);
