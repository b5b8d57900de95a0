import type { Request, RequestHandler } from 'express';
import { AppError, forbidden } from '../errors/app-error.js';

/**
 * Cross-site request forgery, refused in depth. The session cookie is SameSite=Lax, but a
 * sibling site (same registrable domain) still counts as same-site, and an old browser may not
 * honour SameSite at all. So a write whose browser says it came from another origin is refused,
 * and a body must be JSON, which a cross-site HTML form cannot send.
 */
const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Writes (POST, PUT, PATCH, DELETE) from a page of another origin answer 403. A browser says
 * where a request comes from in Sec-Fetch-Site (`same-origin`, or `none` when the user typed it)
 * or, if older, in Origin, compared with the host the browser asked for: behind the front door
 * or the ingress that is X-Forwarded-Host (Express reads it from a trusted proxy only). A request
 * with neither header does not come from a browser's page (curl, another service, a webhook) and
 * passes: forgery needs a victim's browser.
 */
export const refuseCrossSiteWrites: RequestHandler = (req, _res, next) => {
  if (READS.has(req.method) || isSameOrigin(req)) return next();
  next(forbidden('Cross-site request refused'));
};

function isSameOrigin(req: Request): boolean {
  const site = req.get('sec-fetch-site');
  if (site !== undefined) return site === 'same-origin' || site === 'none';
  const origin = req.get('origin');
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.host;
  } catch {
    return false; // "null" (a sandboxed frame, a redirect across origins) or garbage
  }
}

/**
 * A write that declares a body type other than JSON, or sends bytes without declaring one,
 * answers 415 before anything reads it. A write without a body (sign-out) passes.
 */
export const requireJsonBodies: RequestHandler = (req, _res, next) => {
  if (READS.has(req.method)) return next();
  const type = req.get('content-type');
  const sendsBytes = req.get('transfer-encoding') !== undefined || Number(req.get('content-length') ?? 0) > 0;
  if (type === undefined ? sendsBytes : mediaType(type) !== 'application/json') {
    return next(new AppError(415, [{ message: 'Request body must be JSON (Content-Type: application/json)' }]));
  }
  next();
};

/** `Application/JSON; charset=utf-8` -> `application/json` */
const mediaType = (contentType: string) => contentType.split(';')[0]!.trim().toLowerCase();
