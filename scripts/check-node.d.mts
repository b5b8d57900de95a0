/** Why this Node.js version cannot run Ticketing, or undefined when it can. */
export function unsupportedNode(version: string, execPath?: string): string | undefined;
