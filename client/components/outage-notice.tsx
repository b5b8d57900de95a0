import { headers } from 'next/headers';
import { isPageService, unavailableMessage, UNAVAILABLE_HEADER, type PageService } from '@/lib/service-outages';
import { TryAgainButton } from './try-again-button';

/** The service this page must do without: proxy.ts found it down and answers 503 (lib/service-outages.ts). */
export async function missingService(): Promise<PageService | undefined> {
  const service = (await headers()).get(UNAVAILABLE_HEADER);
  return service && isPageService(service) ? service : undefined;
}

/** The page's title meanwhile. */
export const OUTAGE_TITLE = 'Not available right now';

/**
 * What a page shows instead of itself while a service it needs is down, or null: the page then
 * renders as usual. Called before the page reads anything from that service.
 */
export async function outageNotice() {
  const service = await missingService();
  if (!service) return null;
  return (
    <div className="narrow card">
      <h1>{OUTAGE_TITLE}</h1>
      <p role="alert">{unavailableMessage(service)}</p>
      <TryAgainButton />
    </div>
  );
}
