import type { SessionSigner } from '@ticketing/common';
import { Router } from 'express';
import type { AuthService } from '../config.js';
import { currentUserRoute } from './current-user.js';
import { signinRoute } from './signin.js';
import { signoutRoute } from './signout.js';
import { signupRoute } from './signup.js';

export function authRoutes(service: AuthService, sign: SessionSigner) {
  return Router().use(
    signupRoute(service, sign),
    signinRoute(service, sign),
    signoutRoute(service),
    currentUserRoute(),
  );
}
