import { createServiceApp } from '@ticketing/common';
import { Router } from 'express';
import type { ExpirationService } from './config.js';

/**
 * The expiration HTTP app, without listening: only the shared probes and metrics (it has no
 * public API; its work arrives as events and leaves as events).
 */
export function createApp(service: ExpirationService) {
  return createServiceApp(service, Router());
}
