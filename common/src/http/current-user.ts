import type { RequestHandler } from 'express';
import { notAuthorized } from '../errors/app-error.js';
import { SESSION_COOKIE, type CurrentUser, type SessionVerifier } from '../session/session-token.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      currentUser: CurrentUser | null;
      /** The session (token `jti`) the user came with; null when signed out. */
      sessionId: string | null;
    }
  }
}

/** Reads the user from the `session` cookie; a missing, invalid or revoked token means signed out. */
export function currentUser(verify: SessionVerifier): RequestHandler {
  return async (req, _res, next) => {
    const token: unknown = req.cookies?.[SESSION_COOKIE];
    const session = typeof token === 'string' && token.length > 0 ? await verify(token) : null;
    req.currentUser = session?.user ?? null;
    req.sessionId = session?.sessionId ?? null;
    next();
  };
}

export const requireAuth: RequestHandler = (req, _res, next) => {
  if (!req.currentUser) throw notAuthorized();
  next();
};

/** The signed-in user, for handlers behind `requireAuth`. */
export function userOf(req: Express.Request): CurrentUser {
  if (!req.currentUser) throw notAuthorized();
  return req.currentUser;
}
