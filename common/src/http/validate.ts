import type { Request } from 'express';
import { z } from 'zod';
import { AppError, notFound } from '../errors/app-error.js';

/** Parses a request part with a zod schema; failures become 400 with one entry per field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new AppError(
    400,
    result.error.issues.map((issue) => {
      const field = issue.path.map(String).join('.');
      return field ? { message: issue.message, field } : { message: issue.message };
    }),
  );
}

/** The JSON body, which must be an object. */
export function parseBody<S extends z.ZodType>(req: Request, schema: S): z.infer<S> {
  const body: unknown = req.body;
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new AppError(400, [{ message: 'Request body must be a JSON object' }]);
  }
  return parseOrThrow(schema, body);
}

const uuid = z.uuid();

/** A path id that is not a UUID names nothing: 404, like an unknown one. */
export function parseId(value: unknown, what = 'Not found'): string {
  const result = uuid.safeParse(value);
  if (!result.success) throw notFound(what);
  return result.data.toLowerCase();
}
