import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The learner's guide (docs/guide/) and the README point into the code by path. These checks
 * keep them honest: every relative Markdown link (and its #anchor) and every repository path
 * written in `code` must exist, so a renamed file breaks the build instead of the guide.
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const guideDir = join(root, 'docs', 'guide');
const chapters = readdirSync(guideDir)
  .filter((f) => f.endsWith('.md'))
  .sort();
const documents = [...chapters.map((f) => join('docs', 'guide', f)), 'README.md', join('docs', 'macos-and-windows.md'), join('docs', 'troubleshooting.md')];

/** Paths in backticks under these first segments are made at run time (git-ignored), not in the repository. */
const GENERATED = new Set(['.data', '.node', '.nats', '.test-results', '.bench-results', '.containers', 'node_modules', '.next', 'dist', 'coverage']);

/** The text outside fenced code blocks (diagrams and shell sessions are not references). */
function prose(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
}

/**
 * `[text](target)` and `![alt](target)`, the text holding at most one level of brackets, so
 * that a linked image (`[![alt](image)](target)`, a badge) gives both of its targets.
 */
const INLINE_LINK = /!?\[((?:[^[\]\\]|\\.|!?\[(?:[^[\]\\]|\\.)*\](?:\([^)\s]*\))?)*)\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g;
const inlineTargets = (text: string): string[] => [...text.matchAll(INLINE_LINK)].flatMap((m) => [...inlineTargets(m[1]!), m[2]!]);

/** Relative link targets: `[text](target)`, `![alt](target)` and `[label]: target`. */
export function linkTargets(markdown: string): string[] {
  const text = prose(markdown);
  const inline = inlineTargets(text);
  const references = [...text.matchAll(/^\s*\[[^\]]+\]:\s+<?(\S+?)>?(?:\s|$)/gm)].map((m) => m[1]!);
  return [...inline, ...references].filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t));
}

/** Repository paths written as inline code, like `orders/src/db/schema.ts` or `infra/k8s/base/`. */
export function codePaths(markdown: string): string[] {
  const spans = [...prose(markdown).matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!.trim());
  return spans.filter(
    (s) => s.includes('/') && /^[A-Za-z0-9_.][A-Za-z0-9_.\-[\]/]*$/.test(s) && !GENERATED.has(s.split('/')[0]!),
  );
}

/** The pages GitHub serves for a repository besides its files (`/<owner>/<repo>/actions`, ...). */
const REPOSITORY_PAGES = new Set(['actions', 'issues', 'pulls', 'releases', 'tags', 'discussions', 'security', 'packages', 'wiki', 'settings']);

/**
 * GitHub shows a document at /<owner>/<repo>/blob/<ref>/<path> and resolves its relative links
 * from there, so a link that climbs above the ref lands on the repository's own pages: from the
 * README, `../../actions/workflows/ci.yml` is /<owner>/<repo>/actions/workflows/ci.yml, in
 * whichever fork it is read. Such a link names no file here; returns the page it reaches, or
 * undefined for a link that stays among the files (or leaves the repository altogether).
 */
export function repositoryPage(document: string, target: string): string | undefined {
  const [path = ''] = target.split('#');
  const base = '/owner/repo/blob/ref';
  const url = posix.join(base, posix.dirname(document.split(sep).join('/')), decodeURIComponent(path));
  if (url === base || url.startsWith(`${base}/`)) return undefined;
  const page = /^\/owner\/repo\/([^/]+)/.exec(url)?.[1];
  return page && REPOSITORY_PAGES.has(page) ? page : undefined;
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
export function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const [, heading] of prose(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const text = heading!.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/[`*]/g, '');
    const base = text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** What is wrong with one document's references, as readable lines (empty when all is well). */
function brokenReferences(document: string): string[] {
  const file = join(root, document);
  const markdown = readFileSync(file, 'utf8');
  const problems: string[] = [];
  for (const target of linkTargets(markdown)) {
    if (repositoryPage(document, target)) continue;
    const [path = '', anchor] = target.split('#');
    const resolved = path ? resolve(dirname(file), decodeURIComponent(path)) : file;
    if (!existsSync(resolved)) {
      problems.push(`link ${target}: ${relative(root, resolved)} does not exist`);
      continue;
    }
    if (anchor && resolved.endsWith('.md') && !anchorsOf(readFileSync(resolved, 'utf8')).has(anchor)) {
      problems.push(`link ${target}: no heading #${anchor} in ${relative(root, resolved)}`);
    }
  }
  for (const path of codePaths(markdown)) {
    if (!existsSync(join(root, path))) problems.push(`path \`${path}\` does not exist`);
  }
  return problems;
}

describe('the learner guide and the README', () => {
  it.each(documents)('when %s is read, then every link, anchor and code path it mentions exists', (document) => {
    expect(brokenReferences(document)).toEqual([]);
  });

  it('when the guide is read, then its index links every chapter and the README links the index', () => {
    const index = linkTargets(readFileSync(join(guideDir, 'README.md'), 'utf8'));
    expect(chapters.filter((c) => c !== 'README.md' && !index.includes(c))).toEqual([]);
    expect(linkTargets(readFileSync(join(root, 'README.md'), 'utf8'))).toContain('docs/guide/README.md');
  });

  it('when a chapter is read, then it points into the code by path', () => {
    const withoutCode = chapters.filter(
      (c) => c !== 'README.md' && !linkTargets(readFileSync(join(guideDir, c), 'utf8')).some((t) => t.startsWith('../../')),
    );
    expect(withoutCode).toEqual([]);
  });

  it('when the flows chapter is read, then it has the purchase, expiry and cancel sequence diagrams', () => {
    const flows = readFileSync(join(guideDir, '03-flows.md'), 'utf8');
    for (const title of ['Purchase', 'Expiry', 'Cancel']) {
      expect(flows).toMatch(new RegExp(`^## ${title}\\n[\\s\\S]*?\`\`\`mermaid\\nsequenceDiagram`, 'm'));
    }
  });

  it('when links, anchors and code paths are read, then the checker itself finds them', () => {
    const sample = [
      '# A title, with `code`',
      'See [the outbox](../../common/src/outbox/relay.ts), ![pic](shot.png "t") and <https://nats.io>.',
      'Paths: `orders/src/db/schema.ts`, `.data/keys`, `POST /api/orders`, `@ticketing/common`, `deadletter.<c>.<s>`.',
      '```sh',
      'cat not/a/reference.ts',
      '```',
      '[ref]: other.md#a-title-with-code',
    ].join('\n');
    expect(linkTargets(sample)).toEqual(['../../common/src/outbox/relay.ts', 'shot.png', 'other.md#a-title-with-code']);
    expect(codePaths(sample)).toEqual(['orders/src/db/schema.ts']);
    expect([...anchorsOf(sample)]).toEqual(['a-title-with-code']);
  });

  it("when a badge links a workflow by a path above the repository's files, then both targets are read and count as GitHub's pages", () => {
    const badge = '[![CI](../../actions/workflows/ci.yml/badge.svg)](../../actions/workflows/ci.yml) and [a [nested] text](x.md)';
    expect(linkTargets(badge)).toEqual(['../../actions/workflows/ci.yml/badge.svg', '../../actions/workflows/ci.yml', 'x.md']);
    expect(repositoryPage('README.md', '../../actions/workflows/ci.yml/badge.svg')).toBe('actions');
    expect(repositoryPage(join('docs', 'guide', '01-services.md'), '../../../../issues')).toBe('issues');
  });

  it('when a link climbs out of the files elsewhere, then it is no page of the repository and is checked as a file', () => {
    expect(repositoryPage('README.md', 'docs/deploy.md')).toBeUndefined();
    expect(repositoryPage('README.md', '../../nowhere/x')).toBeUndefined();
    expect(repositoryPage('README.md', '../other-branch/README.md')).toBeUndefined();
    expect(repositoryPage('README.md', '../../../someone/else/actions')).toBeUndefined();
    expect(repositoryPage(join('docs', 'guide', '01-services.md'), '../../actions/workflows/ci.yml')).toBeUndefined();
  });
});
