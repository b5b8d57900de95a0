import { PeriodicWorker, type CurrentUser, type ServiceContext, type SessionSigner } from '@ticketing/common';
import type { Response } from 'express';
import { pruneExpiredSessions, recordSession } from './changes.js';
import type { AuthService } from './config.js';
import { setSessionCookie } from './session-cookie.js';

/**
 * Signs `user` in: a new token with its own `jti`, recorded as one of the user's sessions
 * (so sign-out, here or everywhere, can revoke it), in the session cookie.
 */
export async function startSession(service: AuthService, sign: SessionSigner, res: Response, user: CurrentUser) {
  const session = await sign(user);
  await recordSession(service.database.db, { id: session.id, userId: user.id, expiresAt: session.expiresAt });
  setSessionCookie(res, service.config, session.token);
}

/** Deletes, hourly, sessions whose token has expired: nobody can use or revoke them any more. */
export const sessionPruning = (service: ServiceContext) =>
  new PeriodicWorker('sessionPruning', () => pruneExpiredSessions(service.database.db, new Date()), {
    intervalMs: 60 * 60 * 1000,
    logger: service.logger,
  });
