import { fail, Failure } from './check.js';

/**
 * An answer in a few words: its status and error messages, and which service the front door
 * could not reach (`npm start`'s front door answers 502 "<service> is not available").
 */
export function describeAnswer(res: { status: number; body?: any }, expected?: number): string {
  const messages: string[] = Array.isArray(res.body?.errors) ? res.body.errors.map((e: { message?: string }) => e.message) : [];
  const said = `${res.status}${messages.length ? ` "${messages.join('; ')}"` : ''}${expected ? ` instead of ${expected}` : ''}`;
  const down = messages.map((m) => /^(\w+) is not available$/.exec(m)?.[1]).find(Boolean);
  return down ? `${said}: the ${down} service does not answer; is it running? (npm start prints "${down} stopped unexpectedly")` : said;
}

export function unreachable(url: string, err: unknown): never {
  const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err instanceof Error ? err.message : String(err));
  if (err instanceof Failure) throw err;
  fail(`nothing answers at ${url} (${cause}): is the system running (npm start), or is --url / TICKETING_URL wrong?`);
}
