import { SESSION_COOKIE, SESSION_TTL_SECONDS } from '@ticketing/common';
import type { CookieOptions, Response } from 'express';
import type { Config } from './config.js';

/** One place for the session cookie's attributes, so setting and clearing always agree. */
export function sessionCookieOptions(config: Config): CookieOptions {
  return {
    httpOnly: true, // page scripts (and XSS) cannot read the token
    sameSite: 'lax', // not sent on cross-site POSTs: CSRF protection
    path: '/', // every service under /api reads it
    secure: config.NODE_ENV === 'production' || config.COOKIE_SECURE === true,
    maxAge: SESSION_TTL_SECONDS * 1000, // gone when the JWT inside expires
  };
}

export function setSessionCookie(res: Response, config: Config, token: string) {
  res.cookie(SESSION_COOKIE, token, sessionCookieOptions(config));
}

/** Express 5 drops maxAge here and sends an expiry in the past, with the same other attributes. */
export function clearSessionCookie(res: Response, config: Config) {
  res.clearCookie(SESSION_COOKIE, sessionCookieOptions(config));
}
