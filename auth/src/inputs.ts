import type { Credentials } from '@ticketing/contracts';
import { z } from 'zod';

export const MIN_PASSWORD = 8;
export const MAX_PASSWORD = 128;

const required = (what: string) => (issue: { input: unknown }) =>
  issue.input === undefined ? `${what} is required` : `${what} must be a string`;

/** The body of signup and signin. Emails are trimmed and lower-cased before validation. */
export const credentials = z.object({
  email: z
    .string({ error: required('Email') })
    .trim()
    .toLowerCase()
    .pipe(z.email({ error: 'Email must be valid' }).max(254, 'Email must be valid')),
  // Piped: zod 4 runs length checks on any input with a `.length`, so `["x"]` would also get
  // "at least 8 characters" after "must be a string". An unpaired surrogate has no UTF-8 form:
  // hashed, every one of them would become U+FFFD, so "...\ud800" would also sign in as "...\ud801".
  password: z
    .string({ error: required('Password') })
    .pipe(
      z
        .string()
        .min(MIN_PASSWORD, `Password must be at least ${MIN_PASSWORD} characters`)
        .max(MAX_PASSWORD, `Password must be at most ${MAX_PASSWORD} characters`)
        .refine((s) => !/\p{Surrogate}/u.test(s), 'Password must be valid Unicode text'),
    ),
}) satisfies z.ZodType<Credentials>;
