import type { CommitInfo } from '../core/expectations.js';
import { git } from './run.js';

/**
 * What git can tell about an expectation, in one process per kind whatever the number of
 * decisions: the commits of HEAD since a time, and which of some branch or tag names exist.
 */
const UNIT = '\x1f';
const RECORD = '\x1e';
const MAX_COMMITS = 20_000;

/** Commits reachable from HEAD committed since `sinceMs` (newest first, at most `max`); none before the first commit. */
export function commitsSince(root: string, sinceMs: number, max = MAX_COMMITS): CommitInfo[] {
  const since = Math.floor(sinceMs / 1000);
  const result = git(root, ['log', `--since=@${since}`, `--max-count=${Math.min(max, MAX_COMMITS)}`, `--format=%H${UNIT}%P${UNIT}%ct${UNIT}%cI${UNIT}%B${RECORD}`, 'HEAD', '--']);
  if (result.status !== 0) return [];
  return result.stdout
    .split(RECORD)
    .map((chunk) => chunk.replace(/^\n/, ''))
    .filter((chunk) => chunk.includes(UNIT))
    .map((chunk) => {
      const [sha = '', parents = '', time = '0', date = '', message = ''] = chunk.split(UNIT);
      return { sha, parents: parents.split(' ').filter(Boolean), time: Number(time) * 1000, date, message: message.trimEnd() };
    });
}

export interface RefInfo {
  /** As shown: `branch NAME`, `remote branch origin/NAME`, `tag NAME`. */
  ref: string;
  sha: string;
  tag: boolean;
}

/** Branches (local and remote-tracking) and tags with exactly these names; a name may have several (a branch and a tag). */
export function refsNamed(root: string, names: string[]): Map<string, RefInfo[]> {
  const found = new Map<string, RefInfo[]>();
  if (names.length === 0) return found;
  const patterns = names.flatMap((name) => [`refs/heads/${name}`, `refs/tags/${name}`, `refs/remotes/*/${name}`]);
  const result = git(root, ['for-each-ref', `--format=%(refname)${UNIT}%(objectname)`, ...patterns]);
  if (result.status !== 0) return found;
  for (const line of result.stdout.split('\n')) {
    const [ref = '', sha = ''] = line.split(UNIT);
    for (const name of names) {
      if (ref === `refs/heads/${name}` || ref === `refs/tags/${name}` || new RegExp(`^refs/remotes/[^/]+/${escape(name)}$`).test(ref)) {
        const shown = ref.replace(/^refs\/(heads|tags|remotes)\//, (_, kind: string) => (kind === 'tags' ? 'tag ' : kind === 'remotes' ? 'remote branch ' : 'branch '));
        found.set(name, [...(found.get(name) ?? []), { ref: shown, sha, tag: ref.startsWith('refs/tags/') }]);
      }
    }
  }
  return found;
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
