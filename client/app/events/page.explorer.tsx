import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { connection } from 'next/server';
import { EventExplorer } from '@/components/event-explorer';
import { busSettings, explorerEnabled } from '@/lib/explorer-config';
import { viewFromQuery } from '@/lib/explorer-view';
import type { SearchParams } from '@/lib/params';

export const metadata: Metadata = { title: 'Event explorer' };

/**
 * /events: every event on the bus as it happens, and which services have handled it. A
 * development tool, on only when EVENT_EXPLORER is on (lib/explorer-config.ts); 404 otherwise.
 * The query string holds the view (lib/explorer-view.ts), so a filtered timeline can be
 * reloaded or shared.
 */
export default async function EventsPage({ searchParams }: { searchParams: SearchParams }) {
  await connection(); // decided per request, from the environment of the running server
  if (!explorerEnabled()) notFound();
  return <EventExplorer initialView={viewFromQuery(await searchParams)} stream={busSettings().stream} />;
}
