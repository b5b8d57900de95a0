import { randomUUID } from 'node:crypto';
import type { StandInReply } from './stripe-stand-in.js';

/** Stripe's answer to refunding a charge whose money went back already. */
export const alreadyRefunded = (chargeId: string): StandInReply => ({
  status: 400,
  body: { error: { type: 'invalid_request_error', code: 'charge_already_refunded', message: `Charge ${chargeId} has already been refunded.` } },
});

/** Stripe's 400 for a request it refuses, in its error shape. */
export function invalidRequest(message: string, fields: { code?: string; param?: string; [more: string]: unknown } = {}): StandInReply {
  return { status: 400, body: { error: { type: 'invalid_request_error', ...fields, message } } };
}

export function notFound(message: string, param?: string): StandInReply {
  return { status: 404, body: { error: { type: 'invalid_request_error', code: 'resource_missing', param, message } } };
}

/** `metadata[key]=value` form fields as Stripe stores them. */
export function metadataOf(form: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(form)
      .map(([k, v]) => [/^metadata\[(.+)\]$/.exec(k)?.[1], v] as const)
      .filter((e): e is [string, string] => e[0] !== undefined),
  );
}

/**
 * The one search query the fake understands, `metadata['key']:'value'`, as [key, value];
 * otherwise a 400 to answer with.
 */
export function metadataQuery(query: string): [string, string] | StandInReply {
  const match = /^metadata\['([^']+)'\]:'([^']*)'$/.exec(query.trim());
  if (!match) return invalidRequest(`The stand-in cannot search for: ${query}`, { param: 'query' });
  return [match[1]!, match[2]!];
}

/** A search answer, as Stripe's `/v1/<objects>/search` gives it (one page). */
export const searchResult = (url: string, data: unknown[]): StandInReply => ({
  status: 200,
  body: { object: 'search_result', url, has_more: false, next_page: null, data },
});

/** An id such as Stripe's: a prefix (`pi_`, `ch_`) and random letters and digits. */
export const randomId = (prefix: string, length = 14) => `${prefix}${randomUUID().replaceAll('-', '').slice(0, length)}`;
