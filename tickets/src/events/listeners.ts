import { sessionRevokedListener } from '@ticketing/common';
import { orderCancelledListener } from './order-cancelled-listener.js';
import { orderCompletedListener } from './order-completed-listener.js';
import { orderCreatedListener } from './order-created-listener.js';

/** Everything the tickets service listens to. */
export const listeners = [
  orderCreatedListener,
  orderCancelledListener,
  orderCompletedListener,
  sessionRevokedListener, // sessions auth revoked are refused here too
];
