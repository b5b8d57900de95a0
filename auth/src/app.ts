import { createServiceApp, createSessionSigner, requireAuth } from '@ticketing/common';
import { Router } from 'express';
import { createAbuseLimits } from './abuse-limits.js';
import type { AuthService } from './config.js';
import { currentUserRoute } from './routes/current-user.js';
import { signinRoute } from './routes/signin.js';
import { signoutEverywhereRoute, signoutRoute } from './routes/signout.js';
import { signupRoute } from './routes/signup.js';

/**
 * The auth HTTP app, without listening (tests drive it with supertest): its route table. Async
 * because the signing key is imported once here (a bad key fails at start, not at the first signin).
 */
export async function createApp(service: AuthService) {
  const sign = await createSessionSigner(service.config.JWT_PRIVATE_KEY);
  const limits = await createAbuseLimits(service);
  const routes = Router()
    .post('/api/users/signup', signupRoute(service, sign, limits))
    .post('/api/users/signin', signinRoute(service, sign, limits))
    .post('/api/users/signout', signoutRoute(service))
    .post('/api/users/signout-everywhere', requireAuth, signoutEverywhereRoute(service))
    .get('/api/users/currentuser', currentUserRoute());
  return createServiceApp(service, routes);
}
