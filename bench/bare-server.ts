/**
 * The baseline server: a bare Express 5 app with nothing between the socket and the route,
 * serving from memory the same tickets JSON (and Link header) the real system answers with.
 * Run as its own process by baselines.ts, which sends it the page and reads back its port.
 */
import type { AddressInfo } from 'node:net';
import express from 'express';

interface Page {
  tickets: unknown[];
  link: string | null;
}

const app = express();
let page: Page = { tickets: [], link: null };

app.get('/api/tickets', (_req, res) => {
  if (page.link) res.set('Link', page.link);
  res.json(page.tickets);
});

/** Stands in for one step of a purchase: a small JSON body in, a small JSON body out. */
app.post('/api/echo', express.json(), (req, res) => {
  res.status(201).json({ id: 'a1b2c3', ...req.body });
});

process.on('message', (message: { page?: Page }) => {
  if (message.page) page = message.page;
});
process.on('disconnect', () => process.exit(0));

const server = app.listen(0, '127.0.0.1', () => {
  process.send!({ port: (server.address() as AddressInfo).port });
});
