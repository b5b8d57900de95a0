import { Router } from 'express';
import type { OrdersService } from '../config.js';
import { cancelOrderRoute } from './cancel-order.js';
import { createOrderRoute } from './create-order.js';
import { listOrdersRoute } from './list-orders.js';
import { showOrderRoute } from './show-order.js';

export function ordersRoutes(service: OrdersService) {
  return Router().use(
    createOrderRoute(service),
    listOrdersRoute(service),
    showOrderRoute(service),
    cancelOrderRoute(service),
  );
}
