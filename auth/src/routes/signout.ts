import { userOf } from '@ticketing/common';
import type { RequestHandler } from 'express';
import { revokeSessions } from '../changes.js';
import type { AuthService } from '../config.js';
import { clearSessionCookie } from '../session-cookie.js';

/**
 * POST /api/users/signout: revokes the session the cookie holds (every service refuses its
 * token within seconds) and drops the cookie. Signed out already: only drops the cookie.
 */
export function signoutRoute(service: AuthService): RequestHandler {
  return async (req, res) => {
    const { currentUser, sessionId } = req;
    if (currentUser && sessionId) await service.transaction((tx) => revokeSessions(tx, currentUser.id, sessionId));
    clearSessionCookie(res, service.config);
    res.json({});
  };
}

/**
 * POST /api/users/signout-everywhere (signed in): revokes every live session of the user, on
 * every device, this one included, and drops the cookie. Answers how many were revoked.
 */
export function signoutEverywhereRoute(service: AuthService): RequestHandler {
  return async (req, res) => {
    const user = userOf(req);
    const revoked = await service.transaction((tx) => revokeSessions(tx, user.id));
    clearSessionCookie(res, service.config);
    res.json({ revoked });
  };
}
