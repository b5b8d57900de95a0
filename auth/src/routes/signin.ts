import { badRequest, parseBody, type SessionSigner } from '@ticketing/common';
import { eq } from 'drizzle-orm';
import type { RequestHandler } from 'express';
import { clientAddress, type AbuseLimits } from '../abuse-limits.js';
import { replacePasswordHash } from '../changes.js';
import type { AuthService } from '../config.js';
import { users } from '../db/schema.js';
import { credentials } from '../inputs.js';
import { hashPassword, needsRehash, verifyPassword } from '../password.js';
import { startSession } from '../sessions.js';
import { userView } from '../user-view.js';

/** POST /api/users/signin: checks the password and signs the user in. */
export function signinRoute(service: AuthService, sign: SessionSigner, limits: AbuseLimits): RequestHandler {
  const { db } = service.database;
  return async (req, res) => {
    const { email, password } = parseBody(req, credentials);
    const attempt = await limits.admitSignin(clientAddress(req), email); // 429 once locked, even for the right password
    const [found] = await db.select().from(users).where(eq(users.email, email));
    // Unknown email and wrong password look the same, in the answer and in the time taken.
    const ok = await verifyPassword(password, found?.passwordHash);
    if (!found || !ok) {
      await attempt.failed();
      throw badRequest('Invalid email or password');
    }
    await attempt.succeeded();
    // The one moment the password is known: an older hash is replaced by an argon2id one.
    if (needsRehash(found.passwordHash)) await replacePasswordHash(db, found.id, await hashPassword(password));
    const user = userView(found);
    await startSession(service, sign, res, user);
    res.json(user);
  };
}
