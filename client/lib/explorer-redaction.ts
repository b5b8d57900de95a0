/**
 * What the event explorer never shows (it is a teaching tool, not an audit log): payment and
 * charge ids, which lead to the money in Stripe, and token ids. User ids are cut to their first
 * eight characters: enough to see that two events concern the same user, not to act as them.
 * Applied to every payload before it leaves the server, dead letters and replays included.
 */
export const REDACTED = '[redacted]';

/** Fields hidden wherever they appear. */
const SECRET_FIELDS = new Set(['chargeId', 'paymentId', 'jti', 'token']);
/**
 * Subjects whose own `id` is a secret: the payment's, the payment attempt's (Stripe holds it as
 * the intent's `attempt_id`, so it finds the money too), the revoked session's.
 */
const SECRET_IDS = ['payment.started', 'payment.created', 'session.revoked'];

const shortId = (value: unknown) => (typeof value === 'string' && value.length > 8 ? `${value.slice(0, 8)}…` : value);

/** `subject` without the system's prefix: `payment.created`, `deadletter.<consumer>.payment.created`, ... */
export function redactPayload(subject: string, payload: unknown): unknown {
  const idIsSecret = SECRET_IDS.some((s) => subject === s || subject.endsWith(`.${s}`));
  // A body that is not JSON (a poison message) cannot be read field by field: on those subjects it is hidden whole.
  if (idIsSecret && typeof payload === 'string') return REDACTED;
  return redact(payload, idIsSecret);
}

function redact(value: unknown, idIsSecret: boolean): unknown {
  if (Array.isArray(value)) return value.map((v) => redact(v, false));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (SECRET_FIELDS.has(key) || (idIsSecret && key === 'id')) out[key] = REDACTED;
    else if (key === 'userId') out[key] = shortId(v);
    else out[key] = redact(v, false);
  }
  return out;
}
