import { describe, expect, it } from 'vitest';
import { safeNext } from '../lib/format.js';

/**
 * Where the sign-in and sign-up pages send a user afterwards (`?next=`). Each case is the query
 * string as an attacker would write it; the page reads it decoded, as URLSearchParams does.
 */
const SITE = 'https://ticketing.test';
const nextOf = (query: string) => new URLSearchParams(query).get('next');
/** Where a browser on the site goes when told to go to `path` (location.assign or a redirect). */
const landsOn = (path: string) => new URL(path, `${SITE}/auth/signin`);

describe('safeNext', () => {
  it.each([
    'next=//evil.com',
    'next=///evil.com',
    'next=/\\evil.com',
    'next=/%5Cevil.com',
    'next=%5C%5Cevil.com',
    'next=\\\\evil.com',
    'next=/%09/evil.com',
    'next=/%0A/evil.com',
    'next=/%0D/evil.com',
    'next=/%00/evil.com',
    'next=%09//evil.com',
    'next=%20//evil.com',
    'next=/%20/evil.com',
    'next=/.//evil.com',
    'next=/%2e%2e//evil.com',
    'next=/../..//evil.com',
    'next=https://evil.com',
    'next=https:/evil.com',
    'next=https:evil.com',
    'next=//evil.com/%2F..',
    'next=/%2F%2Fevil.com',
    'next=%2F%2Fevil.com',
    'next=/%E3%80%80/evil.com',
    'next=javascript:alert(1)',
    'next=JaVaScRiPt:alert(1)',
    'next=data:text/html,<script>alert(1)</script>',
    'next=evil.com',
    'next=',
  ])('when ?%s, then "/"', (query) => {
    const next = nextOf(query);

    expect(safeNext(next)).toBe('/');
  });

  it.each([
    ['next=/%252F%252Fevil.com', '/%2F%2Fevil.com'],
    ['next=/%25252F%25252Fevil.com', '/%252F%252Fevil.com'],
    ['next=/orders/%2F%2Fevil.com', '/orders///evil.com'],
  ])('when ?%s, then it stays a path on the site', (query, expected) => {
    const result = safeNext(nextOf(query));

    expect(result).toBe(expected);
    expect(landsOn(result).origin).toBe(SITE);
  });

  it.each([
    ['next=/orders', '/orders'],
    ['next=%2Ftickets%2Fabc', '/tickets/abc'],
    ['next=/tickets/new?from=home#form', '/tickets/new?from=home#form'],
    ['next=/tickets/../orders', '/orders'],
  ])('when ?%s, then the user goes back to %s', (query, expected) => {
    expect(safeNext(nextOf(query))).toBe(expected);
  });

  it('when next is missing or not a string, then "/"', () => {
    for (const value of [null, undefined, ['/orders'], 42]) expect(safeNext(value)).toBe('/');
  });
});
