import { randomUUID } from 'node:crypto';
import { badRequest, parseBody, type SessionSigner } from '@ticketing/common';
import type { RequestHandler } from 'express';
import type { AuthService } from '../config.js';
import { users } from '../db/schema.js';
import { hashPassword } from '../password.js';
import { setSessionCookie } from '../session-cookie.js';
import { userView } from '../user-view.js';
import { credentials } from './credentials.js';

/** POST /api/users/signup: creates an account and signs it in. */
export function signupRoute(service: AuthService, sign: SessionSigner): RequestHandler {
  return async (req, res) => {
    const { email, password } = parseBody(req, credentials);
    const passwordHash = await hashPassword(password);
    // The unique index decides, so two simultaneous signups cannot both win.
    const [created] = await service.database.db
      .insert(users)
      .values({ id: randomUUID(), email, passwordHash })
      .onConflictDoNothing({ target: users.email })
      .returning();
    if (!created) throw badRequest('Email in use', 'email');
    const user = userView(created);
    setSessionCookie(res, service.config, await sign(user));
    res.status(201).json(user);
  };
}
