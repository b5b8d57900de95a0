import type { ApiError, ErrorBody } from '@ticketing/contracts';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError } from './app-error.js';

/** Unknown routes answer 404 in the standard error shape. */
export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new AppError(404, [{ message: `Route not found: ${req.method} ${req.path}` }]));
};

/** Errors raised by body-parser carry `status`, `expose` and a `type` we can name. */
interface HttpError {
  status?: number;
  statusCode?: number;
  expose?: boolean;
  type?: string;
}

const clientErrorMessages: Record<string, string> = {
  'entity.parse.failed': 'Malformed JSON in request body',
  'entity.encoding.invalid': 'Request body is not valid UTF-8',
  'entity.too.large': 'Request body is too large',
  'encoding.unsupported': 'Unsupported content encoding',
  'charset.unsupported': 'Unsupported charset',
  'request.aborted': 'Request aborted',
  'request.size.invalid': 'Request size did not match content length',
};

const body = (errors: ApiError[]): ErrorBody => ({ errors });

/** Turns every error into `{"errors":[{message, field?}]}`: the status of an AppError or
 * a client error from the HTTP layer, else 500 with a generic message (details only in the log). */
export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  if (err instanceof AppError) {
    res.set(err.headers).status(err.status).json(body(err.details));
    return;
  }
  const httpErr = err as HttpError;
  const status = httpErr?.status ?? httpErr?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500 && httpErr.expose !== false) {
    const message = (httpErr.type && clientErrorMessages[httpErr.type]) ?? 'Bad request';
    res.status(status).json(body([{ message }]));
    return;
  }
  req.log?.error({ err }, 'unhandled error');
  res.status(500).json(body([{ message: 'Something went wrong' }]));
};
