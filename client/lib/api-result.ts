import type { ApiError } from '@ticketing/contracts';

/** The answer of one API call: data on success, the standard error list otherwise. */
export type ApiResult<T> =
  | { ok: true; status: number; data: T; errors: []; headers: Headers }
  | { ok: false; status: number; data: null; errors: ApiError[]; headers: Headers | null };

/** Pulls the standard `{"errors":[...]}` list out of a body, or a generic message. */
export function errorsOf(body: unknown, status: number): ApiError[] {
  if (body && typeof body === 'object' && Array.isArray((body as { errors?: unknown }).errors)) {
    const list = (body as { errors: unknown[] }).errors.flatMap((e): ApiError[] => {
      if (!e || typeof e !== 'object' || typeof (e as ApiError).message !== 'string') return [];
      const { message, field } = e as ApiError;
      return typeof field === 'string' && field ? [{ message, field }] : [{ message }];
    });
    if (list.length > 0) return list;
  }
  return [{ message: status >= 500 ? 'Something went wrong, please try again' : `Request failed (${status})` }];
}
