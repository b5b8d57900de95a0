import { describe, expect, it } from 'vitest';
import { RetryLater } from '../src/bus/failures.js';
import { isNextVersion } from '../src/bus/versioning.js';

describe('isNextVersion', () => {
  it('when the incoming version is the next one, then it is applied', () => {
    expect(isNextVersion({ version: 3 }, 4, 'ticket')).toBe(true);
  });

  it('when the incoming version is old or repeated, then it is ignored', () => {
    expect(isNextVersion({ version: 3 }, 3, 'ticket')).toBe(false);
    expect(isNextVersion({ version: 3 }, 1, 'ticket')).toBe(false);
  });

  it('when the incoming version skips ahead, then it waits for redelivery', () => {
    expect(() => isNextVersion({ version: 3 }, 5, 'ticket')).toThrow(RetryLater);
    expect(() => isNextVersion({ version: 3 }, 5, 'ticket')).toThrow('ticket version 5 arrived before version 4');
  });

  it('when the record is not replicated yet, then it waits for redelivery', () => {
    expect(() => isNextVersion(undefined, 1, 'ticket')).toThrow(RetryLater);
  });
});
