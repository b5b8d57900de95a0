import type { CurrentUserResponse } from '@ticketing/contracts';
import { Router } from 'express';

/**
 * GET /api/users/currentuser: who the session cookie says is signed in. The common middleware
 * has already verified it (signature, algorithm, issuer, audience, expiry); anything that
 * fails counts as signed out.
 */
export function currentUserRoute() {
  return Router().get('/api/users/currentuser', (req, res) => {
    res.json({ currentUser: req.currentUser ?? null } satisfies CurrentUserResponse);
  });
}
