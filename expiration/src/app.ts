import { createServiceApp, type ServiceContext } from '@ticketing/common';
import { Router } from 'express';

/**
 * The expiration HTTP app, without listening: only the shared probes and metrics (it has no
 * public API; its work arrives as events and leaves as events).
 */
export function createApp(service: ServiceContext) {
  return createServiceApp(service, Router());
}
