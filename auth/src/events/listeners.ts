import type { Listener } from '@ticketing/common';

/** Auth listens to nothing and publishes nothing: other services learn about users only
 * from the session JWT. Kept so every service has the same shape. */
export const listeners: Listener[] = [];
