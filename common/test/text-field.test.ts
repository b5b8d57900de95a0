import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { textField } from '../src/http/text.js';
import { parseOrThrow } from '../src/http/validate.js';

const input = z.object({ title: textField('Title', 200) });
const refusal = (title: string) => {
  try {
    parseOrThrow(input, { title });
  } catch (err) {
    return (err as { status: number; details: unknown }).details;
  }
  return undefined;
};

describe('textField', () => {
  it.each([['\uD800'], ['Gig \uDBFF'], ['\uDE00 at the Roundhouse'], ['\uDC00\uD800']])(
    'when the text holds an unpaired surrogate (%j), then it is refused naming the field, not rewritten',
    (title) => {
      expect(refusal(title)).toEqual([{ message: 'Title must be valid Unicode text', field: 'title' }]);
    },
  );

  it('when the text holds a character outside the basic plane (a surrogate pair), then it is kept as sent', () => {
    expect(parseOrThrow(input, { title: ' Gig 🎫 \uD83D\uDE00 ' })).toEqual({ title: 'Gig 🎫 \uD83D\uDE00' });
  });
});
