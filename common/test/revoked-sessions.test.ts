import { randomUUID } from 'node:crypto';
import { createSessionSigner, REVOCATION_RECHECK_MS } from '../src/session/session-token.js';
import { messagingRetention } from '../src/outbox/retention.js';
import { pruneRevokedSessions, recordRevokedSession, sessionRevokedListener } from '../src/session/revoked-sessions.js';
import { eventually, publishTestEvent, testKeys, type TestService } from '@ticketing/testkit';
import type { BaseConfig } from '../src/config/env.js';
import { afterEach, describe, expect, it } from 'vitest';
import { revokedSessions } from './fixtures/schema.js';
import { startFixtureService } from './fixtures/service.js';

const services: TestService<BaseConfig>[] = [];
async function start() {
  const t = await startFixtureService();
  services.push(t);
  return t;
}
afterEach(async () => {
  for (const t of services.reverse()) await t.close();
  services.length = 0;
});

const hoursFromNow = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();
const signIn = async (user = { id: randomUUID(), email: 'ann@example.com' }) =>
  (await createSessionSigner(testKeys.privateKeyPem))(user).then((s) => ({ ...s, user }));
const idsIn = async (t: TestService<BaseConfig>) =>
  (await t.service.database.db.select({ id: revokedSessions.id }).from(revokedSessions)).map((r) => r.id).sort();

describe('session.revoked listener', () => {
  it("when auth's session.revoked arrives, then this service refuses that token within the recheck time, and the user's other session still passes", async () => {
    const t = await start();
    await t.listen([sessionRevokedListener]);
    const revoked = await signIn();
    const other = await signIn(revoked.user);
    expect(await t.service.verifySession(revoked.token)).not.toBeNull(); // remembered as valid from here

    await publishTestEvent(t.bus, 'session.revoked', { id: revoked.id, userId: revoked.user.id, expiresAt: revoked.expiresAt.toISOString() });

    const started = Date.now();
    await eventually(async () => (await t.service.verifySession(revoked.token)) === null, { what: 'the revoked token to be refused' });
    expect(Date.now() - started).toBeLessThan(REVOCATION_RECHECK_MS + 3_000);
    expect(await t.service.verifySession(other.token)).toEqual({ user: other.user, sessionId: other.id });
  });

  it('when the same revocation arrives twice (as another event), then it is one row and still refused', async () => {
    const t = await start();
    await t.listen([sessionRevokedListener]);
    const s = await signIn();
    const event = { id: s.id, userId: s.user.id, expiresAt: s.expiresAt.toISOString() };

    await publishTestEvent(t.bus, 'session.revoked', event);
    await publishTestEvent(t.bus, 'session.revoked', event);

    await eventually(async () => (await t.service.verifySession(s.token)) === null, { what: 'the token to be refused' });
    await eventually(async () => (await t.service.database.db.select().from(revokedSessions)).length === 1, { what: 'one row' });
    expect(await idsIn(t)).toEqual([s.id]);
  });
});

describe('pruning revocations', () => {
  it('when a revoked token has expired, then its row is pruned; rows of tokens still valid stay', async () => {
    const t = await start();
    const { db } = t.service.database;
    const expired = { id: randomUUID(), userId: randomUUID(), expiresAt: hoursFromNow(-1) };
    const live = { id: randomUUID(), userId: randomUUID(), expiresAt: hoursFromNow(23) };
    await recordRevokedSession(db, expired);
    await recordRevokedSession(db, live);

    expect(await pruneRevokedSessions(db, new Date())).toBe(1);
    expect(await idsIn(t)).toEqual([live.id]);
  });

  it("when the service's retention worker runs, then it prunes revocations past their token's expiry (with a margin for clocks)", async () => {
    const t = await start();
    const { db } = t.service.database;
    const longExpired = { id: randomUUID(), userId: randomUUID(), expiresAt: hoursFromNow(-1) };
    const justExpired = { id: randomUUID(), userId: randomUUID(), expiresAt: new Date(Date.now() - 60_000).toISOString() };
    const live = { id: randomUUID(), userId: randomUUID(), expiresAt: hoursFromNow(1) };
    for (const r of [longExpired, justExpired, live]) await recordRevokedSession(db, r);

    const worker = messagingRetention(t.service, 60_000);
    await worker.start();
    try {
      await eventually(async () => !(await idsIn(t)).includes(longExpired.id), { what: 'the expired revocation to be pruned' });
    } finally {
      await worker.stop();
    }

    expect(await idsIn(t)).toEqual([justExpired.id, live.id].sort());
  });
});
