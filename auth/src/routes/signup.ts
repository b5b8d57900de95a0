import { badRequest, parseBody, type SessionSigner } from '@ticketing/common';
import type { RequestHandler } from 'express';
import { clientAddress, type AbuseLimits } from '../abuse-limits.js';
import { createUser } from '../changes.js';
import type { AuthService } from '../config.js';
import { credentials } from '../inputs.js';
import { hashPassword } from '../password.js';
import { startSession } from '../sessions.js';
import { userView } from '../user-view.js';

/** POST /api/users/signup: creates an account and signs it in. */
export function signupRoute(service: AuthService, sign: SessionSigner, limits: AbuseLimits): RequestHandler {
  return async (req, res) => {
    const { email, password } = parseBody(req, credentials);
    await limits.admitSignup(clientAddress(req)); // 429 beyond the per-address or overall limit
    const created = await createUser(service.database.db, { email, passwordHash: await hashPassword(password) });
    if (!created) throw badRequest('Email in use', 'email');
    const user = userView(created);
    await startSession(service, sign, res, user);
    res.status(201).json(user);
  };
}
