import { z } from 'zod';

/**
 * A trimmed, required line of text that PostgreSQL can store: `text` columns cannot hold
 * U+0000, and other control characters have no place in a title or a name. An unpaired
 * surrogate (JSON allows `"\ud800"`) has no UTF-8 form: stored, it would silently become U+FFFD.
 */
export function textField(label: string, maxLength: number) {
  // Piped, so a value that is not a string gets one message, not the length checks as well.
  return z
    .string({ error: `${label} is required` })
    .transform((s) => s.trim())
    .pipe(
      z
        .string()
        .min(1, { message: `${label} is required`, abort: true })
        .max(maxLength, { message: `${label} must be at most ${maxLength} characters`, abort: true })
        .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), `${label} must not contain control characters`)
        .refine((s) => !/\p{Surrogate}/u.test(s), `${label} must be valid Unicode text`),
    );
}
