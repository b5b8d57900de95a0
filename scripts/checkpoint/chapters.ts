import type { Check } from './check.js';
import { durableConsumers, caughtUp } from './checks/consumers.js';
import { streamSubjects, ticketCreatedOnTheWire } from './checks/contracts.js';
import { clientPages, orderStream } from './checks/client.js';
import { errorShape, sessionRevoked } from './checks/errors.js';
import { expiryFires, expiryScheduled } from './checks/expiration.js';
import { explorerLive, explorerPage } from './checks/explorer.js';
import { cancelFlow, purchaseEvents, purchaseFlow } from './checks/flows.js';
import { payOnce, payThroughIntent } from './checks/payments.js';
import { handledOnce, replicaVersions } from './checks/replication.js';
import { race } from './checks/reservation.js';
import { routes } from './checks/routes.js';
import { claimAsksOrders, completeIsFinal } from './checks/saga.js';
import { oneSession, servicesAnswer } from './checks/services.js';
import { cancelledEvent } from './checks/tests.js';

/**
 * What a learner's system does after each chapter of docs/guide/, as checks against its front
 * door. Chapters 1-12 are the core path; 13-22 the extra chapters. A chapter may list checks of
 * earlier ones when it is about them again (chapter 12's experiments, chapter 9's cluster).
 */
export interface Chapter {
  number: number;
  title: string;
  checks: readonly Check[];
}

const core: Chapter[] = [
  { number: 1, title: 'Services and what each owns', checks: [servicesAnswer, oneSession] },
  { number: 2, title: 'Event contracts', checks: [ticketCreatedOnTheWire, streamSubjects] },
  { number: 3, title: 'Three flows, step by step', checks: [purchaseFlow, cancelFlow, purchaseEvents] },
  { number: 4, title: 'Replicating a ticket into orders', checks: [replicaVersions] },
  { number: 5, title: 'The outbox and the inbox', checks: [handledOnce] },
  { number: 6, title: 'Reservation under concurrency', checks: [race] },
  { number: 7, title: 'Expiration with durable timers', checks: [expiryScheduled, expiryFires] },
  { number: 8, title: 'Payments and the provider interface', checks: [payThroughIntent, payOnce] },
  // Against the cluster's front door (--url): nothing here needs the event explorer, which a cluster runs only if told to.
  { number: 9, title: 'Running on Kubernetes with Skaffold', checks: [routes, purchaseFlow, payThroughIntent] },
  { number: 10, title: 'Coming from the NATS Streaming version', checks: [durableConsumers] },
  { number: 11, title: 'The event explorer', checks: [explorerPage, explorerLive] },
  { number: 12, title: 'Try it', checks: [servicesAnswer, caughtUp, race, expiryFires] },
];

export const CHAPTERS: readonly Chapter[] = [
  ...core,
  { number: 13, title: 'Why microservices, and the purchase as a saga', checks: [cancelFlow, completeIsFinal, claimAsksOrders] },
  { number: 14, title: 'A JetStream primer', checks: [streamSubjects, durableConsumers, handledOnce] },
  { number: 15, title: 'Sessions, and one shape for every error', checks: [errorShape, sessionRevoked] },
  { number: 16, title: 'The web client', checks: [clientPages, orderStream] },
  { number: 17, title: 'Writing tests', checks: [cancelledEvent] },
  { number: 18, title: 'A Kubernetes primer', checks: [routes] },
  // What CI's kind job checks through the cluster's entry point (e2e/cluster/purchase.cluster.ts).
  { number: 19, title: 'CI and CD', checks: [routes, purchaseFlow, payThroughIntent] },
  // Every word of the glossary names something the core path shows.
  { number: 20, title: 'Glossary', checks: [...new Set(core.flatMap((c) => c.checks))] },
  { number: 21, title: 'Kubernetes exercises', checks: [routes, purchaseFlow] },
  // What the transport's contract asks, as the running system shows it: durable groups, each event handled once by each.
  { number: 22, title: 'Variations', checks: [durableConsumers, handledOnce] },
];
