import { operationInProgress, type Repo } from './repo.js';
import { git, type GitResult } from './run.js';

/**
 * Git's side of `agentstate sync`: which remote and branch, fetch, merge or rebase, push, and
 * what the remote holds afterwards. Every call is git itself (its transports, credentials and
 * merge drivers); nothing here prompts (GIT_TERMINAL_PROMPT=0, no signing passphrase asked).
 */
export interface Upstream {
  remote: string;
  /** The local branch (HEAD's). */
  branch: string;
  /** The branch on the remote: the upstream's when one is set, else the same name. */
  remoteBranch: string;
  /** Where fetch keeps the remote's tip here. */
  tracking: string;
}

const NO_HOOKS = ['-c', 'core.hooksPath=/dev/null'];

export function configValue(repo: Repo, key: string): string | undefined {
  const result = git(repo.root, ['config', '--get', key]);
  return result.status === 0 ? result.stdout.trim() : undefined;
}

export function remoteNames(repo: Repo): string[] {
  return git(repo.root, ['remote']).stdout.split('\n').filter(Boolean);
}

/** The remote to sync with: the asked one, else the branch's upstream remote, else origin, else the only one. */
export function chooseRemote(repo: Repo, branch: string, asked: string | undefined): { remote?: string; known: string[] } {
  const known = remoteNames(repo);
  if (asked) return { remote: known.includes(asked) ? asked : undefined, known };
  const upstream = configValue(repo, `branch.${branch}.remote`);
  if (upstream && known.includes(upstream)) return { remote: upstream, known };
  if (known.includes('origin')) return { remote: 'origin', known };
  return { remote: known.length === 1 ? known[0] : undefined, known };
}

/** The remote branch: the upstream's when it lives on this remote, else the local branch's name. */
export function upstreamOf(repo: Repo, branch: string, remote: string): Upstream {
  const merge = configValue(repo, `branch.${branch}.merge`);
  const onRemote = configValue(repo, `branch.${branch}.remote`) === remote;
  const remoteBranch = onRemote && merge?.startsWith('refs/heads/') ? merge.slice('refs/heads/'.length) : branch;
  return { remote, branch, remoteBranch, tracking: `refs/remotes/${remote}/${remoteBranch}` };
}

export type FetchResult = { status: 'fetched'; tip: string } | { status: 'absent' } | { status: 'failed'; message: string };

/** Fetch the remote branch into its tracking ref; `absent` when the remote has no such branch yet. */
export function fetchBranch(repo: Repo, upstream: Upstream): FetchResult {
  const result = git(repo.root, ['fetch', '--quiet', '--no-tags', '--no-write-fetch-head', upstream.remote, `+refs/heads/${upstream.remoteBranch}:${upstream.tracking}`]);
  if (result.status !== 0) {
    if (/couldn't find remote ref/i.test(result.stderr)) return { status: 'absent' };
    return { status: 'failed', message: oneLine(result.stderr) || `git fetch exited with ${result.status}` };
  }
  const tip = revParse(repo, upstream.tracking);
  return tip ? { status: 'fetched', tip } : { status: 'absent' };
}

export function revParse(repo: Repo, rev: string): string | undefined {
  const result = git(repo.root, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
  return result.status === 0 ? result.stdout.trim() : undefined;
}

export function isAncestor(repo: Repo, ancestor: string, of: string): boolean {
  return git(repo.root, ['merge-base', '--is-ancestor', ancestor, of]).status === 0;
}

export function commitsBetween(repo: Repo, from: string | undefined, to: string): number {
  const result = git(repo.root, ['rev-list', '--count', from ? `${from}..${to}` : to]);
  return result.status === 0 ? Number(result.stdout.trim()) : 0;
}

/** Paths the index holds in conflict (a merge the user has not finished). */
export function unmergedPaths(repo: Repo): string[] {
  const result = git(repo.root, ['diff', '--name-only', '--diff-filter=U', '-z']);
  return [...new Set(result.stdout.split('\0').filter(Boolean))];
}

/** Paths whose staged content differs from HEAD (what `git commit` would record now). */
export function stagedPaths(repo: Repo): string[] {
  const result = git(repo.root, ['diff', '--cached', '--name-only', '-z', 'HEAD']);
  return result.status === 0 ? result.stdout.split('\0').filter(Boolean) : [];
}

export type IntegrateResult =
  | { status: 'up-to-date' | 'fast-forward' | 'merged' | 'rebased' }
  | { status: 'refused'; message: string }
  | { status: 'conflict'; paths: string[] };

/**
 * Bring `tip` into HEAD: a merge (our drivers merge the state files), or a rebase of our commits
 * onto it. A conflict is undone at once (`merge --abort`, `rebase --abort`), so the work tree is
 * as it was; git's refusal (local changes a merge would overwrite) touched nothing.
 */
export function integrate(repo: Repo, tip: string, options: { rebase: boolean; message: string; env?: Record<string, string> }): IntegrateResult {
  if (isAncestor(repo, tip, 'HEAD')) return { status: 'up-to-date' };
  const fastForward = isAncestor(repo, 'HEAD', tip);
  const args = options.rebase
    ? [...NO_HOOKS, 'rebase', '--no-autostash', tip]
    : [...NO_HOOKS, 'merge', '--no-edit', '--no-autostash', '--no-verify', '-m', options.message, tip];
  const result = git(repo.root, args, { noPrompt: true, ...(options.env ? { env: options.env } : {}) });
  if (result.status === 0) return { status: fastForward ? 'fast-forward' : options.rebase ? 'rebased' : 'merged' };
  if (operationInProgress(repo)) {
    const paths = unmergedPaths(repo);
    git(repo.root, [...NO_HOOKS, options.rebase ? 'rebase' : 'merge', '--abort']);
    return { status: 'conflict', paths };
  }
  return { status: 'refused', message: oneLine(result.stderr || result.stdout) || `git ${options.rebase ? 'rebase' : 'merge'} exited with ${result.status}` };
}

export type PushResult = { status: 'pushed' } | { status: 'rejected'; message: string } | { status: 'failed'; message: string };

/**
 * Push exactly `sha` to the remote branch (never a force push). `rejected`: someone pushed
 * meanwhile (or holds the ref's lock on the remote), so fetch, merge and try again.
 */
export function pushCommit(repo: Repo, upstream: Upstream, sha: string): PushResult {
  const result = git(repo.root, ['push', '--porcelain', '--quiet', upstream.remote, `${sha}:refs/heads/${upstream.remoteBranch}`], { noPrompt: true });
  if (result.status === 0) return { status: 'pushed' };
  const text = `${result.stdout}\n${result.stderr}`;
  const message = oneLine(result.stderr) || oneLine(result.stdout) || `git push exited with ${result.status}`;
  if (/\[rejected\]|non-fast-forward|fetch first|stale info|failed to update ref|cannot lock ref|incorrect old value/i.test(text)) return { status: 'rejected', message };
  return { status: 'failed', message };
}

/** The remote branch's tip as the remote reports it now (one round trip). */
export function remoteTip(repo: Repo, upstream: Upstream): { sha?: string } | { failed: string } {
  const result: GitResult = git(repo.root, ['ls-remote', '--heads', upstream.remote, `refs/heads/${upstream.remoteBranch}`]);
  if (result.status !== 0) return { failed: oneLine(result.stderr) || `git ls-remote exited with ${result.status}` };
  const line = result.stdout.split('\n').find((entry) => entry.endsWith(`\trefs/heads/${upstream.remoteBranch}`));
  return line ? { sha: line.split('\t')[0] } : {};
}

/**
 * git's message as one line: the `error:`/`fatal:`/`hint:` prefixes dropped, a list that follows
 * a colon kept on its line ("…would be overwritten by merge: README.md src/a.ts"), sentences
 * joined with "; ".
 */
export function oneLine(text: string): string {
  const lines = text
    .split('\n')
    .map((line) => line.replace(/\r$/, ''))
    .filter((line) => line.trim() !== '' && !/^hint:/.test(line))
    .map((line) => ({ listed: /^\s/.test(line), text: line.trim().replace(/^(error|fatal|warning|remote):\s*/i, '') }));
  let out = '';
  for (const [i, line] of lines.entries()) {
    if (i === 0) out = line.text;
    else if (line.listed) out += `${out.endsWith(':') ? ' ' : ', '}${line.text}`;
    else out = `${out.replace(/\.$/, '')}; ${line.text}`;
  }
  return out.replace(/\s+/g, ' ').trim().replace(/\.$/, '');
}
