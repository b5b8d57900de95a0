import express, { type Express } from 'express';
import helmet from 'helmet';
import { errorHandler, notFoundHandler } from '../errors/error-handler.js';
import type { ServiceContext } from './context.js';

/**
 * What the metrics port (METRICS_PORT) serves: GET /metrics for Prometheus, and nothing else.
 * It is a separate server from the API, so the ingress never exposes the metrics and a
 * NetworkPolicy can let Prometheus reach them without reaching the API.
 */
export function createMetricsApp(service: ServiceContext): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(helmet());
  app.get('/metrics', async (_req, res) => {
    res.type(service.metrics.registry.contentType).send(await service.metrics.registry.metrics());
  });
  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
