import { fail, type Check } from '../check.js';

/** Chapters 9, 18 and 21: one entry point routing as the Gateway's HTTPRoute does, and nothing else exposed. */

export const routes: Check = {
  id: 'routes',
  title: 'the front door routes /api/users, /api/tickets, /api/orders and /api/payments to their services and all else to the web client; no /metrics or /readyz is reachable through it',
  guide: ['18-kubernetes-primer.md', 'Traffic in: the Gateway API'],
  async run(shop) {
    const problems: string[] = [];
    const json = async (path: string, status: number, method = 'GET') => {
      const res = await shop.fetch(path, { method });
      const body = await res.json().catch(() => undefined);
      if (res.status !== status || body === undefined) problems.push(`${method} ${path} answered ${res.status} ${res.headers.get('content-type') ?? ''}, expected ${status} with JSON from its service`);
    };
    await json('/api/users/currentuser', 200);
    await json('/api/tickets?limit=1', 200);
    await json('/api/orders', 401);
    await json('/api/payments', 401, 'POST');
    for (const path of ['/auth/signin', '/metrics', '/readyz']) {
      const res = await shop.fetch(path);
      const text = await res.text();
      if (!res.headers.get('content-type')?.includes('text/html')) problems.push(`GET ${path} answered ${res.status} ${res.headers.get('content-type') ?? ''}, not a page of the web client`);
      if (text.includes('# HELP') || text.includes('"checks"')) problems.push(`GET ${path} reached a service's ${path}: only the web client should answer it`);
    }
    if (problems.length) fail(problems.join('; '));
  },
};
