import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService } from '../src/service/run-service.js';
import { createTestService, type TestService } from '@ticketing/testkit';
import type { BaseConfig } from '../src/config/env.js';
import { migrationsFolder } from './fixtures/service.js';

let taken: Server;
let t: TestService<BaseConfig>;
beforeAll(async () => {
  taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, resolve));
  const port = (taken.address() as AddressInfo).port;
  t = await createTestService({ name: 'fixture', migrationsFolder, env: { PORT: String(port) } });
});
afterAll(async () => {
  await t.close();
  await new Promise<void>((resolve) => taken.close(() => resolve()));
});

describe('startService', () => {
  it('when its port is already taken, then starting fails with the reason instead of running without HTTP', async () => {
    await expect(startService(t.service, { app: express(), listeners: [], workers: [] })).rejects.toThrow(/EADDRINUSE/);
  });
});

describe('a service that starts stopping', () => {
  it('when shutdown begins, then what onStopping registered ends at once and once, readiness is off, and close comes after', async () => {
    const service = await createTestService({ name: 'fixture', migrationsFolder });
    const steps: string[] = [];
    service.service.onStopping(() => steps.push('stream ended'));
    service.service.onClose(async () => {
      steps.push('closed');
    });
    expect(service.service.accepting).toBe(true);
    service.service.stopAccepting();
    expect(steps).toEqual(['stream ended']);
    expect(service.service.accepting).toBe(false);
    service.service.stopAccepting();
    await service.close();
    expect(steps).toEqual(['stream ended', 'closed']);
  });
});
