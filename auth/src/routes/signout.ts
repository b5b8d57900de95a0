import type { RequestHandler } from 'express';
import type { AuthService } from '../config.js';
import { clearSessionCookie } from '../session-cookie.js';

/** POST /api/users/signout: drops the cookie. The JWT itself stays valid until it expires. */
export function signoutRoute(service: AuthService): RequestHandler {
  return (_req, res) => {
    clearSessionCookie(res, service.config);
    res.json({});
  };
}
