import { createUser } from '@nats-io/nkeys';
import { busAccess, deadLetterSubject, durablesOf, type BusService } from '@ticketing/contracts';

/**
 * NATS's users and permissions, generated from contracts' busAccess: `npm start`, the tests and
 * the Kubernetes ConfigMap (infra/test checks it is this) all run this one table. Each identity
 * signs in with an nkey: the server holds only public keys, so its configuration is no secret,
 * and a seed never leaves the process that uses it.
 */

/** Who connects: each service, the event explorer (read-only) and the operator's dead-letter tool. */
export const NATS_IDENTITIES = [...(Object.keys(busAccess) as BusService[]), 'explorer', 'admin'] as const;
export type NatsIdentity = (typeof NATS_IDENTITIES)[number];

export interface BusScope {
  stream: string;
  /** NATS_SUBJECT_PREFIX, e.g. "dev." or "". */
  subjectPrefix: string;
}

export interface NatsPermissions {
  publish: { allow: string[]; deny?: string[] };
  subscribe: { allow: string[] };
  /** May reply to the requests it receives (once each), whatever their reply subject. */
  allow_responses?: boolean;
}

/**
 * Replies come to an inbox of the identity's own (Bus and the explorer set `inboxPrefix`), so no
 * one can read another's JetStream replies or the messages pulled for another's consumer.
 */
export const inboxPrefixOf = (identity: string) => `_INBOX_${identity}`;

/** Every JetStream API subject that names one consumer (create, info, pull, delete...). */
function consumerApi(stream: string, durable: string, verbs: string[]): string[] {
  return verbs.flatMap((verb) => [`$JS.API.CONSUMER.${verb}.${stream}.${durable}`, `$JS.API.CONSUMER.${verb}.${stream}.${durable}.>`]);
}

export function natsPermissions(identity: NatsIdentity, { stream, subjectPrefix }: BusScope): NatsPermissions {
  const wire = (subject: string) => `${subjectPrefix}${subject}`;
  const replies = { allow: [`${inboxPrefixOf(identity)}.>`] };
  if (identity === 'admin') {
    // The dead-letter tool lists, replays (replay.<consumer>.<subject>) and drops: the whole API.
    return { publish: { allow: ['$JS.API.>', wire('replay.>')] }, subscribe: replies };
  }
  const allDurables = (Object.keys(busAccess) as BusService[]).flatMap(durablesOf);
  const streamInfo = ['$JS.API.INFO', `$JS.API.STREAM.INFO.${stream}`];
  if (identity === 'explorer') {
    // Its own ordered consumers (any name), the consumer list; never a service's consumer, never an event.
    return {
      publish: {
        allow: [
          ...streamInfo,
          `$JS.API.CONSUMER.LIST.${stream}`,
          ...['CREATE', 'INFO', 'MSG.NEXT', 'DELETE'].flatMap((verb) => [
            `$JS.API.CONSUMER.${verb}.${stream}.*`,
            `$JS.API.CONSUMER.${verb}.${stream}.*.>`,
          ]),
        ],
        deny: allDurables.flatMap((durable) => consumerApi(stream, durable, ['CREATE', 'DURABLE.CREATE', 'MSG.NEXT', 'DELETE'])),
      },
      subscribe: replies,
    };
  }
  const { publishes, asks, answers } = busAccess[identity];
  const durables = durablesOf(identity);
  return {
    publish: {
      allow: [
        ...streamInfo,
        // Every service makes the stream, or adds its subjects, on start (Bus's manageStream).
        `$JS.API.STREAM.CREATE.${stream}`,
        `$JS.API.STREAM.UPDATE.${stream}`,
        ...durables.flatMap((durable) => [
          ...consumerApi(stream, durable, ['CREATE', 'DURABLE.CREATE', 'INFO', 'MSG.NEXT']),
          `$JS.ACK.${stream}.${durable}.>`,
          wire(deadLetterSubject(durable, '>')),
        ]),
        ...publishes.map(wire),
        // The requests it asks (replies come to its own inbox).
        ...asks.map(wire),
      ],
    },
    // The requests it answers, and a reply to each.
    subscribe: { allow: [...replies.allow, ...answers.map(wire)] },
    ...(answers.length > 0 ? { allow_responses: true } : {}),
  };
}

/** A user's key in the configuration: a public key, or `$VAR` for one the server reads from its environment. */
export type NkeyRef = { publicKey: string } | { env: string };

/**
 * The `authorization` block of nats-server's configuration: one user per identity, no one
 * else (a connection without a known nkey is refused).
 */
export function natsAuthorizationConfig(scope: BusScope, nkeyOf: (identity: NatsIdentity) => NkeyRef): string {
  const users = NATS_IDENTITIES.map((identity) => {
    const key = nkeyOf(identity);
    const nkey = 'env' in key ? `$${key.env}` : JSON.stringify(key.publicKey);
    const permissions = JSON.stringify(natsPermissions(identity, scope), null, 2).replace(/\n/g, '\n    ');
    return `  # ${identity}\n  { nkey: ${nkey}, permissions: ${permissions} }`;
  });
  return `authorization {\n  users: [\n${users.join(',\n').replace(/^/gm, '  ')}\n  ]\n}\n`;
}

/** The environment variable the Kubernetes NATS pod reads an identity's public key from. */
export const nkeyEnvName = (identity: NatsIdentity) => `NKEY_${identity.toUpperCase()}`;

export interface NatsKey {
  seed: string;
  publicKey: string;
}

/** A fresh user nkey: the seed (`SU...`, secret) and its public key (`U...`). */
export function newNatsKey(): NatsKey {
  const pair = createUser();
  return { seed: new TextDecoder().decode(pair.getSeed()), publicKey: pair.getPublicKey() };
}

/** Where the Kubernetes manifests keep the generated users and permissions (the nats-config ConfigMap). */
export const KUBERNETES_NATS_AUTHORIZATION = 'infra/k8s/base/nats-authorization.conf';

/**
 * The users and permissions for Kubernetes: the manifests' stream (ticketing-config's NATS_STREAM,
 * the default) with no subject prefix; each user's public key from the NATS pod's environment
 * (`NKEY_<IDENTITY>`, from the nats-users Secret that make-dev-secrets.sh or the operator makes).
 */
export function kubernetesNatsAuthorization(stream: string): string {
  const header = `# Generated by \`npm run nats-config\` from contracts/src/bus-access.ts: do not edit by hand.\n# infra/test/nats-config.test.ts checks it is current.\n`;
  return header + natsAuthorizationConfig({ stream, subjectPrefix: '' }, (identity) => ({ env: nkeyEnvName(identity) }));
}
