import { createServiceApp, type ServiceContext } from '@ticketing/common';
import { ticketsRoutes } from './routes/index.js';

/** The tickets HTTP app, without listening: tests drive it with supertest. */
export function createApp(service: ServiceContext) {
  return createServiceApp(service, ticketsRoutes(service));
}
