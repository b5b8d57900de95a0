import { createServiceApp, requireAuth } from '@ticketing/common';
import { Router } from 'express';
import type { OrdersService } from './config.js';
import { cancelOrderRoute } from './routes/cancel-order.js';
import { createOrderRoute } from './routes/create-order.js';
import { listOrdersRoute } from './routes/list-orders.js';
import { orderUpdatesRoute } from './routes/order-updates.js';
import { showOrderRoute } from './routes/show-order.js';

/** The orders HTTP app, without listening (tests drive it with supertest): its route table. */
export function createApp(service: OrdersService) {
  const routes = Router()
    .post('/api/orders', requireAuth, createOrderRoute(service))
    .get('/api/orders', requireAuth, listOrdersRoute(service))
    .get('/api/orders/:id', requireAuth, showOrderRoute(service))
    .get('/api/orders/:id/updates', requireAuth, orderUpdatesRoute(service))
    .delete('/api/orders/:id', requireAuth, cancelOrderRoute(service));
  return createServiceApp(service, routes);
}
