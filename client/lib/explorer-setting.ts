/**
 * EVENT_EXPLORER, the one switch of the event explorer (`/events`), read twice:
 * - by `next build` (next.config.ts): the explorer's page and feed, `*.explorer.tsx`/`.ts`
 *   files, are compiled only into `next dev` and into a build made with it on. `npm start`
 *   builds with it on; the Docker image and any other production build have no such route.
 * - by the running server, per request (lib/explorer-config.ts): off, the routes answer 404.
 */
export const isOn = (value: string | undefined) => ['on', 'true', '1', 'yes'].includes((value ?? '').trim().toLowerCase());

/** The page extensions of the explorer's files; see next.config.ts. */
export const EXPLORER_EXTENSIONS = ['explorer.tsx', 'explorer.ts'];
