import { sessionRevokedListener } from '@ticketing/common';
import { orderCancelledListener } from './order-cancelled-listener.js';
import { orderCompletedListener } from './order-completed-listener.js';
import { orderCreatedListener } from './order-created-listener.js';
import { orderUpdatedListener } from './order-updated-listener.js';

/** Everything the payments service listens to. */
export const listeners = [
  orderCreatedListener,
  orderUpdatedListener,
  orderCancelledListener,
  orderCompletedListener,
  sessionRevokedListener, // sessions auth revoked are refused here too
];
