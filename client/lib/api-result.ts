import type { ApiError } from '@ticketing/contracts';

/** The answer of one API call: data on success, the standard error list otherwise. */
export type ApiResult<T> =
  | { ok: true; status: number; data: T; errors: []; headers: Headers }
  | { ok: false; status: number; data: null; errors: ApiError[]; headers: Headers | null };

/**
 * Pulls the standard `{"errors":[...]}` list out of a body, or a generic message. A 502, 503 or
 * 504 without one comes from what stands in front of a service that is down or restarting (a
 * gateway, a load balancer): trying again shortly is the right advice. (It does not say nothing
 * was done: a 504 may come after the service acted.)
 */
export function errorsOf(body: unknown, status: number): ApiError[] {
  if (body && typeof body === 'object' && Array.isArray((body as { errors?: unknown }).errors)) {
    const list = (body as { errors: unknown[] }).errors.flatMap((e): ApiError[] => {
      if (!e || typeof e !== 'object' || typeof (e as ApiError).message !== 'string') return [];
      const { message, field } = e as ApiError;
      return typeof field === 'string' && field ? [{ message, field }] : [{ message }];
    });
    if (list.length > 0) return list;
  }
  if (status === 502 || status === 503 || status === 504) return [{ message: 'This is unavailable right now; try again in a moment.' }];
  return [{ message: status >= 500 ? 'Something went wrong, please try again' : `Request failed (${status})` }];
}
