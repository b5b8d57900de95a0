import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BaseConfig } from '../src/config/env.js';
import { isUniqueViolation } from '../src/db/errors.js';
import type { TestService } from '@ticketing/testkit';
import { widgets } from './fixtures/schema.js';
import { startFixtureService } from './fixtures/service.js';

let t: TestService<BaseConfig>;
beforeAll(async () => {
  t = await startFixtureService();
});
afterAll(() => t.close());

describe('isUniqueViolation', () => {
  it('when PostgreSQL refuses a duplicate key, then it is recognised, by constraint name too', async () => {
    const id = randomUUID();
    await t.service.database.db.insert(widgets).values({ id, name: 'a' });
    const err = await t.service.database.db.insert(widgets).values({ id, name: 'b' }).catch((e: unknown) => e);
    expect(isUniqueViolation(err)).toBe(true);
    expect(isUniqueViolation(err, 'widgets_pkey')).toBe(true);
    expect(isUniqueViolation(err, 'some_other_index')).toBe(false);
  });

  it('when the error is anything else, then it is not', async () => {
    const err = await t.service.database.db.execute('select 1/0').catch((e: unknown) => e);
    expect(isUniqueViolation(err)).toBe(false);
    expect(isUniqueViolation(new Error('x'))).toBe(false);
    expect(isUniqueViolation(undefined)).toBe(false);
  });
});
