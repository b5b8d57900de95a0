import 'server-only';
import { busDefaults } from '@ticketing/contracts';
import { isOn } from './explorer-setting';

/**
 * The event explorer (`/events`) is a development tool: it shows every event on the bus to
 * anyone who can open the page. It is on only when this build has it (lib/explorer-setting.ts)
 * and EVENT_EXPLORER is `on` (or `true`, `1`, `yes`), read at request time: `npm start` sets it
 * unless NODE_ENV=production, and its front door serves it to this machine only. Everywhere
 * else `/events` answers 404.
 */
export function explorerEnabled(): boolean {
  return process.env.EVENT_EXPLORER_BUILT === 'yes' && isOn(process.env.EVENT_EXPLORER);
}

/**
 * Where the explorer reads events: the same settings, and defaults, the services use. It signs
 * in as NATS's `explorer` user (NATS_NKEY_SEED), which may read the stream and list consumers but
 * never publish, nor touch a service's consumer; its replies come to an inbox of its own.
 */
export function busSettings() {
  return {
    url: process.env.NATS_URL || busDefaults.url,
    stream: process.env.NATS_STREAM || busDefaults.stream,
    prefix: process.env.NATS_SUBJECT_PREFIX || busDefaults.subjectPrefix,
    nkeySeed: process.env.NATS_NKEY_SEED || undefined,
    /** A CA certificate file: connect over TLS, trusting only the servers it signed. */
    tlsCaFile: process.env.NATS_TLS_CA || undefined,
    inboxPrefix: '_INBOX_explorer',
  };
}
