'use client';

import Link from 'next/link';
import { useState, type FormEvent } from 'react';
import type { User } from '@ticketing/contracts';
import { api, noErrors, splitErrors, type SplitErrors } from '@/lib/browser-api';
import { safeNext } from '@/lib/format';
import { Field, FormErrors, SubmitButton } from './form-parts';

const FIELDS = ['email', 'password'] as const;

/** Sign-up and sign-in: the same two fields, a different endpoint. */
export function AuthForm({ mode, next }: { mode: 'signup' | 'signin'; next?: string | undefined }) {
  const [pending, setPending] = useState(false);
  const [errors, setErrors] = useState<SplitErrors>(noErrors);
  const signup = mode === 'signup';

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setPending(true);
    setErrors(noErrors);
    const res = await api<User>('POST', signup ? '/api/users/signup' : '/api/users/signin', {
      email: String(form.get('email') ?? ''),
      password: String(form.get('password') ?? ''),
    });
    if (res.ok) {
      // A full navigation: every server component (the header too) renders again as the new user.
      window.location.assign(safeNext(next));
      return;
    }
    setErrors(splitErrors(res.errors, FIELDS));
    setPending(false);
  }

  return (
    <form className="card form" onSubmit={onSubmit} noValidate aria-labelledby="auth-heading">
      <h1 id="auth-heading">{signup ? 'Sign up' : 'Sign in'}</h1>
      <FormErrors messages={errors.general} />
      <Field
        id="email"
        label="Email"
        type="email"
        autoComplete="email"
        inputMode="email"
        spellCheck={false}
        autoCapitalize="none"
        error={errors.fields.email}
      />
      <Field
        id="password"
        label="Password"
        type="password"
        autoComplete={signup ? 'new-password' : 'current-password'}
        hint={signup ? 'At least 8 characters.' : undefined}
        error={errors.fields.password}
      />
      <SubmitButton pending={pending}>{signup ? 'Sign up' : 'Sign in'}</SubmitButton>
      <p className="form-footer">
        {signup ? (
          <>
            Already have an account? <Link href="/auth/signin">Go to the sign-in page</Link>
          </>
        ) : (
          <>
            New here? <Link href="/auth/signup">Create an account</Link>
          </>
        )}
      </p>
    </form>
  );
}
