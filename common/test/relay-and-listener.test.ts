import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { baseConfigSchema } from '../src/config/env.js';

describe('smoke', () => {
  it('loads', () => {
    expect(baseConfigSchema).toBeInstanceOf(z.ZodObject);
  });
});
