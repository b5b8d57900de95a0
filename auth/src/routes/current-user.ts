import type { CurrentUserResponse } from '@ticketing/contracts';
import type { RequestHandler } from 'express';

/**
 * GET /api/users/currentuser: who the session cookie says is signed in. The common middleware
 * has already verified it (signature, algorithm, issuer, audience, expiry); anything that
 * fails counts as signed out.
 */
export function currentUserRoute(): RequestHandler {
  return (req, res) => {
    res.json({ currentUser: req.currentUser ?? null } satisfies CurrentUserResponse);
  };
}
