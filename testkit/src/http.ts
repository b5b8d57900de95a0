import { expect } from 'vitest';

/** The error shape of the HTTP contract: exactly these entries, each a message and maybe a field. */
export function expectErrors(
  res: { status: number; type: string; body: unknown },
  status: number,
  fields: (string | undefined)[],
) {
  const aMessage = expect.stringMatching(/\S/);
  expect(res.status).toBe(status);
  expect(res.type).toBe('application/json');
  expect(res.body).toEqual({
    errors: fields.map((field) => (field === undefined ? { message: aMessage } : { message: aMessage, field })),
  });
}
