import { createServiceApp, createSessionSigner } from '@ticketing/common';
import type { AuthService } from './config.js';
import { authRoutes } from './routes/index.js';

/**
 * The auth HTTP app, without listening: tests drive it with supertest. Async because the
 * signing key is imported once here (a bad key fails at start, not at the first signin).
 */
export async function createApp(service: AuthService) {
  const sign = await createSessionSigner(service.config.JWT_PRIVATE_KEY);
  return createServiceApp(service, authRoutes(service, sign));
}
