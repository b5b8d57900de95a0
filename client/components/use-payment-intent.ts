'use client';

import { useCallback, useEffect, useRef, useState } from 'react';
import type { PaymentIntent, PaymentIntentStatus } from '@ticketing/contracts';
import { idle, signInPath, startIntent, stateOfIntent, type PaymentState, type SandboxOutcome } from '@/lib/payment-intent';

export interface PaymentIntentOptions {
  /** Told of every state, so the order page can follow the order while a payment is in flight. */
  onChange: (state: PaymentState) => void;
  /** A 400 (paid already, cancelled, expired): the order has news, re-read it. */
  onRefused: () => void;
  /** Ask for the intent as soon as the form shows (Stripe's form needs its client secret first). */
  resumeOnMount: boolean;
}

/**
 * The order's PaymentIntent for a payment form: started (or resumed) with POST
 * /api/payments/intents, and the buyer's view of it. Both providers' forms share it, so they
 * show the same states.
 */
export function usePaymentIntent(orderId: string, { onChange, onRefused, resumeOnMount }: PaymentIntentOptions) {
  const [state, setState] = useState<PaymentState>(idle);
  const [intent, setIntent] = useState<PaymentIntent | null>(null);
  /** Messages for no field: a refusal, the provider being down, the network. */
  const [errors, setErrors] = useState<string[]>([]);
  const [pending, setPending] = useState(resumeOnMount);
  const known = useRef<PaymentIntent | null>(null);
  const mounted = useRef(true);

  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  useEffect(() => {
    onChange(state);
  }, [state, onChange]);

  /** An answer that is not the intent or a result: sign in again, or show why. */
  const refuse = useCallback(
    (outcome: Exclude<SandboxOutcome, { kind: 'result' }>) => {
      if (outcome.kind === 'signin') {
        window.location.assign(signInPath(window.location.pathname));
        return;
      }
      setErrors(outcome.errors.map((e) => e.message));
      setState(idle);
      setPending(false);
      if (outcome.kind === 'refused') onRefused();
    },
    [onRefused],
  );

  /** The order's intent, asked for once; null when it could not be had (the reason is shown). */
  const ensure = useCallback(async (): Promise<PaymentIntent | null> => {
    if (known.current) return known.current;
    const outcome = await startIntent(orderId);
    if (!mounted.current) return null;
    if (outcome.kind !== 'intent') {
      refuse(outcome);
      return null;
    }
    known.current = outcome.intent;
    setIntent(outcome.intent);
    return outcome.intent;
  }, [orderId, refuse]);

  /** The intent's status as the provider reported it. */
  const apply = useCallback((status: PaymentIntentStatus, lastError: string | null) => {
    setState(stateOfIntent(status, lastError));
  }, []);

  /** The buyer pressed Pay. */
  const begin = useCallback(() => {
    setErrors([]);
    setPending(true);
    setState({ kind: 'processing' });
  }, []);

  /** The attempt ended with the form usable again (a decline, a card Stripe could not read). */
  const fail = useCallback((message: string) => {
    setState({ kind: 'failed', message });
    setPending(false);
  }, []);

  const settle = useCallback(
    (status: PaymentIntentStatus, lastError: string | null) => {
      apply(status, lastError);
      setPending(false);
    },
    [apply],
  );

  const resume = useCallback(async () => {
    setErrors([]);
    setPending(true);
    const found = await ensure();
    if (found && mounted.current) settle(found.status, found.lastError);
  }, [ensure, settle]);

  const resumed = useRef(false);
  useEffect(() => {
    if (!resumeOnMount || resumed.current) return;
    resumed.current = true;
    void resume();
  }, [resumeOnMount, resume]);

  return { state, intent, errors, pending, ensure, begin, fail, settle, refuse, resume, setPending };
}

export type PaymentIntentHandle = ReturnType<typeof usePaymentIntent>;
