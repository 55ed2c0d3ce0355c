import { parseTree, type ObjectStore } from './objects.js';
import { git } from './run.js';
import type { Repo } from './repo.js';

/**
 * Commit mode `squash`: amend the previous agentstate commit instead of adding one, but only a
 * commit that is safe to rewrite — agentstate's own (its trailer says so), still HEAD, younger
 * than the window, holding nothing but state paths, with one parent, and reachable from no ref
 * but the current branch (never pushed, tagged, stashed or shared with another branch).
 */
export interface SquashPolicy {
  windowMs: number;
  isStatePath: (path: string) => boolean;
  now?: number;
}

export interface SquashTarget {
  parents: string[];
  message: (next: string) => string;
}

const TRAILER = /^Agentstate-[A-Za-z]+: /;

export function squashTarget(
  repo: Repo,
  store: ObjectStore,
  head: string,
  commit: { tree: string; parents: string[]; message: string; headers: string },
  policy: SquashPolicy,
): SquashTarget | undefined {
  if (commit.parents.length !== 1 || !commit.message.split('\n').some((line) => line.startsWith('Agentstate-Agent: '))) return undefined;
  const committed = Number(/^committer .* (\d+) [+-]\d{4}$/m.exec(commit.headers)?.[1]);
  if (!Number.isFinite(committed) || (policy.now ?? Date.now()) - committed * 1000 > policy.windowMs) return undefined;
  const parent = store.readOne(commit.parents[0]!);
  const parentTree = parent?.type === 'commit' ? /^tree (\S+)$/m.exec(parent.body.toString('utf8'))?.[1] : undefined;
  if (!parentTree || !changedPaths(store, parentTree, commit.tree).every(policy.isStatePath)) return undefined;
  const branch = git(repo.root, ['symbolic-ref', '-q', 'HEAD']).stdout.trim();
  const holders = git(repo.root, ['for-each-ref', '--format=%(refname)', '--contains', head]);
  if (holders.status !== 0 || holders.stdout.split('\n').some((ref) => ref !== '' && ref !== branch)) return undefined;
  return { parents: commit.parents, message: (next) => squashedMessage(commit.message, next) };
}

/** Paths whose blobs differ between two trees (descending only into trees that differ). */
function changedPaths(store: ObjectStore, before: string | undefined, after: string | undefined, prefix = ''): string[] {
  if (before === after) return [];
  const read = (sha: string | undefined) => (sha ? parseTree(store.readOne(sha)?.body ?? Buffer.alloc(0), store.hexLength) : []);
  const [a, b] = [read(before), read(after)];
  const names = new Set([...a.map((entry) => entry.name), ...b.map((entry) => entry.name)]);
  const out: string[] = [];
  for (const name of names) {
    const [x, y] = [a.find((entry) => entry.name === name), b.find((entry) => entry.name === name)];
    if (x?.sha === y?.sha && x?.mode === y?.mode) continue;
    const path = `${prefix}${name}`;
    if (x?.mode === '40000' || y?.mode === '40000') out.push(...changedPaths(store, x?.mode === '40000' ? x.sha : undefined, y?.mode === '40000' ? y.sha : undefined, `${path}/`));
    if ((x && x.mode !== '40000') || (y && y.mode !== '40000')) out.push(path);
  }
  return out;
}

/** One subject counting the changes, each change's subject as a line, every trailer once. */
export function squashedMessage(previous: string, next: string): string {
  const parts = (message: string) => {
    const lines = message.trim().split('\n');
    const subject = lines[0] ?? '';
    const trailers = lines.filter((line) => TRAILER.test(line));
    const listed = lines.slice(1).filter((line) => line.startsWith('- '));
    return { items: listed.length ? listed : [`- ${subject.replace(/^agentstate: /, '')}`], trailers };
  };
  const [a, b] = [parts(previous), parts(next)];
  const items = [...a.items, ...b.items];
  const trailers = [...new Set([...a.trailers, ...b.trailers])];
  const named = trailers.filter((line) => line.startsWith('Agentstate-Command: ')).map((line) => line.slice('Agentstate-Command: '.length));
  const commands = [...new Set(named.length ? named : items.map((item) => item.slice(2).split(' ')[0]))].join(', ');
  return `agentstate: ${items.length} changes (${commands})\n\n${items.join('\n')}\n\n${trailers.join('\n')}\n`;
}
