import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';
import cookieParser from 'cookie-parser';
import express, { type Express, type Router } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import { childTraceparent, runWithTrace } from '../bus/trace.js';
import { trustProxySetting } from '../config/env.js';
import { errorHandler, notFoundHandler } from '../errors/error-handler.js';
import { refuseCrossSiteWrites, requireJsonBodies } from '../http/browser-requests.js';
import { currentUser } from '../http/current-user.js';
import type { ServiceContext } from './context.js';
import { healthRoutes } from './health.js';

/** JSON bodies over this size answer 413. */
export const BODY_LIMIT = '100kb';
const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** A request whose JSON body was parsed, with the bytes it was parsed from. */
export type WithRawBody = { rawBody?: Buffer };

/**
 * A UTF-8 JSON body must be UTF-8: decoded as it is, each bad byte would become U+FFFD and be
 * stored as if the client had sent it. Answered 400 by the error handler. The bytes are kept
 * (`rawBody`): a signature, such as a webhook's, is checked over exactly what was sent.
 */
function keepValidUtf8(req: IncomingMessage & WithRawBody, _res: unknown, body: Buffer, encoding: string) {
  if (encoding === 'utf-8' && !isUtf8(body)) {
    throw Object.assign(new Error('Request body is not valid UTF-8'), { status: 400, type: 'entity.encoding.invalid' });
  }
  req.rawBody = body;
}

/**
 * The HTTP shell every service shares: security headers, request ids and logs, request
 * metrics (served on the metrics port, not here), probes, JSON parsing, the current user,
 * then the service's routes, then 404 and errors.
 */
export function createServiceApp(service: ServiceContext, routes: Router): Express {
  const app = express();
  app.disable('x-powered-by');
  // X-Forwarded-For counts only from TRUSTED_PROXIES (the front door, the ingress): req.ip is
  // then the client's address, which a client reaching the service directly cannot forge.
  app.set('trust proxy', trustProxySetting(service.config.TRUSTED_PROXIES));
  app.use(helmet());
  app.use(
    pinoHttp({
      logger: service.logger,
      genReqId: (req, res) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
        res.setHeader('x-request-id', id);
        return id;
      },
      // Method, path, status and time are enough; headers may carry cookies.
      serializers: {
        req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' },
      // A read that succeeded is logged at debug (LOG_LEVEL=debug shows it): reads are the bulk
      // of the traffic, the ingress logs every request anyway, and a line per read cost more CPU
      // than the cached read itself (bench/README.md). Writes and failures stay at info and up.
      customLogLevel: (req, res, err) =>
        err || res.statusCode >= 500 ? 'error' : res.statusCode < 400 && SAFE_METHODS.has(req.method ?? '') ? 'debug' : 'info',
    }),
  );
  app.use((req, res, next) => {
    const stop = service.metrics.httpDuration.startTimer({ method: req.method });
    res.on('finish', () => {
      const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      stop({ route, status: String(res.statusCode) });
    });
    next();
  });
  app.use(healthRoutes(service));
  app.use(refuseCrossSiteWrites, requireJsonBodies); // before the body is read
  app.use(express.json({ limit: BODY_LIMIT, verify: keepValidUtf8 }));
  app.use(cookieParser());
  // After body parsing: stream callbacks would lose the async context set before it.
  app.use((req, _res, next) => {
    const parent = req.headers.traceparent;
    runWithTrace(childTraceparent(typeof parent === 'string' ? parent : undefined), next);
  });
  app.use(currentUser(service.verifySession));
  app.use(routes);
  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
