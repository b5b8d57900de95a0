import { describe, expect, it } from 'vitest';
import { errorsOf } from '../lib/api-result.js';

describe('errorsOf', () => {
  it('when the body has the standard error list, then its messages and fields are kept, whatever the status', () => {
    const body = { errors: [{ message: 'Title is required', field: 'title' }, { message: 'Payment provider unavailable' }] };
    expect(errorsOf(body, 400)).toEqual(body.errors);
    expect(errorsOf(body, 502)).toEqual(body.errors);
  });

  it.each([502, 503, 504])('when a %i comes without it (a gateway in front of a service that is down), then it says to try again in a moment', (status) => {
    expect(errorsOf('<html>no healthy upstream</html>', status)).toEqual([
      { message: 'This is unavailable right now; try again in a moment.' },
    ]);
  });

  it('when another error comes without it, then a generic message says so', () => {
    expect(errorsOf(undefined, 500)).toEqual([{ message: 'Something went wrong, please try again' }]);
    expect(errorsOf({ errors: [{ nope: 1 }] }, 418)).toEqual([{ message: 'Request failed (418)' }]);
  });
});
