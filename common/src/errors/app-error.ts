import type { ApiError } from '@ticketing/contracts';

/** One error type for every expected failure: it carries the HTTP status and the
 * messages a client may see. Anything else reaching the error handler is a bug (500). */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly details: ApiError[],
    readonly headers: Record<string, string> = {},
  ) {
    super(details.map((d) => d.message).join('; '));
    this.name = 'AppError';
  }
}

export const badRequest = (message: string, field?: string) =>
  new AppError(400, [field === undefined ? { message } : { message, field }]);
export const notAuthorized = () => new AppError(401, [{ message: 'Not authorized' }]);
export const forbidden = (message = 'Forbidden') => new AppError(403, [{ message }]);
export const notFound = (message = 'Not found') => new AppError(404, [{ message }]);
export const conflict = (message: string) => new AppError(409, [{ message }]);
export const tooManyRequests = (message: string, retryAfterSeconds: number) =>
  new AppError(429, [{ message }], { 'Retry-After': String(retryAfterSeconds) });
