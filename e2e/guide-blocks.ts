import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@ticketing/devkit/system/services';

/** The ```sh blocks of the section of a guide chapter whose heading starts with `heading`, as printed. */
export function shellBlocks(chapter: string, heading: string): string[] {
  const markdown = readFileSync(join(repoRoot, 'docs', 'guide', chapter), 'utf8');
  const start = markdown.search(new RegExp(`^#+ ${heading.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'm'));
  if (start < 0) throw new Error(`no section "${heading}" in docs/guide/${chapter}`);
  const rest = markdown.slice(start);
  const next = rest.slice(1).search(/^## /m);
  const section = next < 0 ? rest : rest.slice(0, next + 1);
  return [...section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}
