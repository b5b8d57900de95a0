import { createServiceApp } from '@ticketing/common';
import type { OrdersService } from './config.js';
import { ordersRoutes } from './routes/index.js';

/** The orders HTTP app, without listening: tests drive it with supertest. */
export function createApp(service: OrdersService) {
  return createServiceApp(service, ordersRoutes(service));
}
