import type { ExpiryQueue } from '../expiry-queue.js';
import { orderCreatedListener } from './order-created-listener.js';

/** Everything the expiration service listens to; its listener schedules jobs on `queue`. */
export const listeners = (queue: ExpiryQueue) => [orderCreatedListener(queue)];
