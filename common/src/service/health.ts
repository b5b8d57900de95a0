import { Router } from 'express';
import type { ServiceContext } from './context.js';

/**
 * Probes, outside `/api`: liveness, and readiness (database and bus) with the events being
 * retried. The metrics are on a port of their own (`createMetricsApp`).
 */
export function healthRoutes(service: ServiceContext): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const checks: Record<string, boolean> = {
      accepting: service.accepting,
      database: await service.database.ping().then(() => true, () => false),
      bus: await withTimeout(service.bus.ping(), 2000).then(() => true, () => false),
    };
    for (const [name, check] of Object.entries(service.readinessChecks)) {
      checks[name] = await Promise.resolve(check()).catch(() => false);
    }
    const ready = Object.values(checks).every(Boolean);
    // Events being retried (an outage, a version gap) show here without failing readiness:
    // taking the replica out of service would not bring its dependency back.
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks, events: service.retries.summary() });
  });
  return router;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timeout')), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
