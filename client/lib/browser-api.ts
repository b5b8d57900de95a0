import type { ApiError } from '@ticketing/contracts';
import { errorsOf, type ApiResult } from './api-result';

/**
 * Browser-side calls. They go to the page's own origin, `/api/...`, which the front door
 * (or the Kubernetes ingress) routes to the services; the session cookie rides along.
 */
export async function api<T = unknown>(
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: `/api/${string}`,
  body?: unknown,
): Promise<ApiResult<T>> {
  const init: RequestInit = { method, credentials: 'same-origin', headers: { accept: 'application/json' } };
  if (body !== undefined) {
    init.headers = { accept: 'application/json', 'content-type': 'application/json' };
    init.body = JSON.stringify(body);
  }
  let res: Response;
  try {
    res = await fetch(path, init);
  } catch {
    return {
      ok: false,
      status: 0,
      data: null,
      errors: [{ message: 'Could not reach the server. Check your connection and try again.' }],
      headers: null,
    };
  }
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON (a proxy error page, say): the status decides below.
  }
  if (res.ok) return { ok: true, status: res.status, data: parsed as T, errors: [], headers: res.headers };
  return { ok: false, status: res.status, data: null, errors: errorsOf(parsed, res.status), headers: res.headers };
}

export type SplitErrors = {
  /** The first message for each field the form shows, by field name. */
  fields: Record<string, string>;
  /** Messages for no field, or for a field the form does not show. */
  general: string[];
};

/** Splits API errors into messages next to fields and messages at the top of the form. */
export function splitErrors(errors: ApiError[], knownFields: readonly string[]): SplitErrors {
  const fields: Record<string, string> = {};
  const general: string[] = [];
  for (const { message, field } of errors) {
    if (field && knownFields.includes(field)) {
      fields[field] ??= message;
    } else if (!general.includes(message)) {
      general.push(message);
    }
  }
  return { fields, general };
}

export const noErrors: SplitErrors = { fields: {}, general: [] };

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
