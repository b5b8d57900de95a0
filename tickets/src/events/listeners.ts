import { sessionRevokedListener } from '@ticketing/common';
import { orderCancelledListener } from './order-cancelled-listener.js';
import { orderCreatedListener } from './order-created-listener.js';

/** Everything the tickets service listens to. */
export const listeners = [
  orderCreatedListener,
  orderCancelledListener,
  sessionRevokedListener, // sessions auth revoked are refused here too
];
