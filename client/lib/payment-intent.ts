import type {
  ApiError,
  PaymentIntent,
  PaymentIntentStatus,
  SandboxIntentResult,
  SandboxPaymentMethod,
} from '@ticketing/contracts';
import type { ApiResult } from './api-result';
import { api, sleep } from './browser-api';

/**
 * What the buyer sees of a payment, whichever provider confirms it. `succeeded` means the
 * provider took the money; the order turns `complete` a moment later (payment.created reaches
 * orders asynchronously), which the order page follows.
 */
export type PaymentState =
  | { kind: 'idle' }
  | { kind: 'processing' }
  | { kind: 'requires_action' }
  | { kind: 'succeeded' }
  | { kind: 'failed'; message: string };

export const idle: PaymentState = { kind: 'idle' };

/** A payment whose outcome is not known yet: the order page follows the order meanwhile. */
export const inFlight = (state: PaymentState) => state.kind === 'processing' || state.kind === 'requires_action' || state.kind === 'succeeded';

/** The buyer's view of an intent's status (Stripe's names, which the sandbox shares). */
export function stateOfIntent(status: PaymentIntentStatus, lastError: string | null): PaymentState {
  switch (status) {
    case 'succeeded':
      return { kind: 'succeeded' };
    case 'processing':
      return { kind: 'processing' };
    case 'requires_action':
      return { kind: 'requires_action' };
    case 'canceled':
      return { kind: 'failed', message: lastError ?? 'This payment was cancelled.' };
    default:
      // requires_payment_method / requires_confirmation: a method to try, after a failure or not.
      return lastError ? { kind: 'failed', message: lastError } : idle;
  }
}

type Call = <T>(method: 'POST', path: `/api/${string}`, body: unknown) => Promise<ApiResult<T>>;

/** What asking for the order's intent came to. */
export type IntentOutcome =
  | { kind: 'intent'; intent: PaymentIntent }
  /** The session is gone: sign in again. */
  | { kind: 'signin' }
  /** 400: paid already, cancelled or expired: the order itself has news. */
  | { kind: 'refused'; errors: ApiError[] }
  | { kind: 'error'; errors: ApiError[] };

export interface RetryOptions {
  call?: Call;
  /** Times a 503 (try again in a moment) is asked again, and the wait between. */
  retries?: number;
  retryMs?: number;
}

/**
 * Starts the order's PaymentIntent, or resumes it (payments keeps one per order). Payments
 * waits for a brand-new order itself; a 503 (orders unreachable, or events held up) is asked
 * again briefly, a 404 is an answer.
 */
export async function startIntent(orderId: string, { call = api, retries = 4, retryMs = 1000 }: RetryOptions = {}): Promise<IntentOutcome> {
  let res = await call<PaymentIntent>('POST', '/api/payments/intents', { orderId });
  for (let attempt = 0; res.status === 503 && attempt < retries; attempt++) {
    await sleep(retryMs);
    res = await call<PaymentIntent>('POST', '/api/payments/intents', { orderId });
  }
  return outcomeOf(res, (intent) => ({ kind: 'intent', intent }));
}

export type SandboxOutcome = { kind: 'result'; result: SandboxIntentResult } | Exclude<IntentOutcome, { kind: 'intent' }>;

/** The sandbox confirms the intent with one of its test payment methods. */
export async function confirmSandbox(clientSecret: string, paymentMethod: SandboxPaymentMethod, call: Call = api): Promise<SandboxOutcome> {
  const res = await call<SandboxIntentResult>('POST', '/api/payments/sandbox/confirm', { clientSecret, paymentMethod });
  return outcomeOf(res, (result) => ({ kind: 'result', result }));
}

/** The buyer's answer to the sandbox's 3-D Secure challenge. */
export async function authenticateSandbox(clientSecret: string, outcome: 'complete' | 'fail', call: Call = api): Promise<SandboxOutcome> {
  const res = await call<SandboxIntentResult>('POST', '/api/payments/sandbox/authenticate', { clientSecret, outcome });
  return outcomeOf(res, (result) => ({ kind: 'result', result }));
}

function outcomeOf<T, O>(res: ApiResult<T>, ok: (data: T) => O): O | Exclude<IntentOutcome, { kind: 'intent' }> {
  if (res.ok) return ok(res.data);
  if (res.status === 401) return { kind: 'signin' };
  if (res.status === 400) return { kind: 'refused', errors: res.errors };
  return { kind: 'error', errors: res.errors };
}

/** The sign-in page, coming back to this one afterwards. */
export const signInPath = (pathname: string) => `/auth/signin?next=${encodeURIComponent(pathname)}`;

/**
 * The sandbox's 3-D Secure challenge is a page of its own. The client secret goes there in
 * sessionStorage (this tab only), never in the URL, where history, logs and Referer would keep it.
 */
export interface PendingChallenge {
  clientSecret: string;
  /** Dollars, as the intent said. */
  amount: number;
}

const challengeKey = (orderId: string) => `sandbox-challenge:${orderId}`;

export function saveChallenge(storage: Storage, orderId: string, challenge: PendingChallenge) {
  storage.setItem(challengeKey(orderId), JSON.stringify(challenge));
}

export function loadChallenge(storage: Storage, orderId: string): PendingChallenge | null {
  try {
    const value: unknown = JSON.parse(storage.getItem(challengeKey(orderId)) ?? 'null');
    if (value && typeof value === 'object') {
      const { clientSecret, amount } = value as Record<string, unknown>;
      if (typeof clientSecret === 'string' && clientSecret && typeof amount === 'number') return { clientSecret, amount };
    }
  } catch {
    // Not ours, or damaged: as if there were none.
  }
  return null;
}

export function forgetChallenge(storage: Storage, orderId: string) {
  storage.removeItem(challengeKey(orderId));
}

/**
 * What Stripe put on the order page's URL when it sent the buyer back from a redirect-based
 * confirmation (`return_url`), or null; `rest` is the query without it, for replaceState.
 */
export interface StripeReturn {
  clientSecret: string;
  /** `succeeded`, `failed` or `pending`, as Stripe put it. */
  redirectStatus: string | null;
  /** The query without Stripe's parameters ('' or '?...'). */
  rest: string;
}

export function stripeReturn(search: string): StripeReturn | null {
  const params = new URLSearchParams(search);
  const clientSecret = params.get('payment_intent_client_secret');
  if (!clientSecret) return null;
  const redirectStatus = params.get('redirect_status');
  for (const name of ['payment_intent', 'payment_intent_client_secret', 'redirect_status']) params.delete(name);
  const rest = params.toString();
  return { clientSecret, redirectStatus, rest: rest ? `?${rest}` : '' };
}
