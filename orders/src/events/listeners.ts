import { sessionRevokedListener } from '@ticketing/common';
import { expirationCompleteListener } from './expiration-complete-listener.js';
import { paymentCreatedListener } from './payment-created-listener.js';
import { paymentStartedListener } from './payment-started-listener.js';
import { ticketCreatedListener } from './ticket-created-listener.js';
import { ticketUpdatedListener } from './ticket-updated-listener.js';

/** Everything the orders service listens to. */
export const listeners = [
  ticketCreatedListener,
  ticketUpdatedListener,
  expirationCompleteListener,
  paymentStartedListener,
  paymentCreatedListener,
  sessionRevokedListener, // sessions auth revoked are refused here too
];
