import { join } from 'node:path';
import { failure, usageError, type AgentstateError } from '../errors.js';
import { registerDrivers } from '../git/merge-setup.js';
import {
  chooseRemote,
  commitsBetween,
  fetchBranch,
  integrate,
  isAncestor,
  pushCommit,
  remoteTip,
  stagedPaths,
  unmergedPaths,
  upstreamOf,
  type IntegrateResult,
  type Upstream,
} from '../git/remote.js';
import { operationInProgress, readHead, type Repo } from '../git/repo.js';
import { LOCAL_FILES, ensureLocalDir, localPath } from './local.js';
import { mergeEnvironment } from './merge-env.js';
import { withLock } from './lock.js';
import { uncommittedStatePaths } from './state-files.js';
import { movements, recordsAt, type FileMovement, type RecordsAt } from './sync-records.js';
import type { StateContext } from './context.js';

/**
 * `agentstate sync`: fetch, merge (the drivers merge every state file), push; when the push is
 * rejected because someone pushed meanwhile, fetch and merge again, a bounded number of times
 * with jittered back-off. Done only when the remote holds our HEAD. The merge runs under the
 * state lock, so agentstate writers of this clone wait instead of racing it; fetch and push do
 * not need it (they touch neither the work tree nor HEAD). It refuses, touching nothing, when a
 * merge, rebase or cherry-pick is in progress or the work tree has a conflict, and it never
 * stashes: a merge that would overwrite your uncommitted changes is refused with git's message.
 */
export interface SyncOptions {
  remote?: string;
  rebase?: boolean;
  /** Record uncommitted state files first (off for the sync that follows a write's own commit). */
  recordDeferred?: boolean;
}

export interface SyncReport {
  remote: string;
  branch: string;
  remote_branch: string;
  /** The commit the remote now holds (ours, merged). */
  head: string;
  pushed: boolean;
  integrated: IntegrateResult['status'] | 'first push';
  tries: number;
  retries: number;
  commits: { in: number; out: number };
  files: Record<string, FileMovement>;
}

const BACKOFF_BASE_MS = 100;
const BACKOFF_CAP_MS = 3_000;

export async function syncState(context: StateContext, options: SyncOptions = {}): Promise<SyncReport> {
  const repo = context.repo;
  if (!repo) throw failure('not inside a git repository: there is nothing to sync', 'run it in a clone of your repository');
  refuseBusyWorkTree(repo);
  const head = readHead(repo);
  if (!head.branch) throw failure('HEAD is detached: sync needs a branch to push', 'check out a branch (`git switch <branch>`) and run sync again');
  if (!head.sha) throw failure('this repository has no commit yet: nothing to sync', 'run `agentstate init` (it makes the first commit) and sync again');
  const chosen = chooseRemote(repo, head.branch, options.remote);
  if (!chosen.remote) throw noRemote(options.remote, chosen.known);
  const upstream = upstreamOf(repo, head.branch, chosen.remote);
  const registered = registerDrivers(repo);
  if (registered.length) context.warn(`registered the merge drivers in this clone (${registered.join(', ')})`);
  if (options.recordDeferred !== false) await recordDeferred(context);

  const startSha = readHead(repo).sha!;
  const records = recordsCache(context);
  const before = records(startSha);
  let integrated: SyncReport['integrated'] = 'up-to-date';
  for (let attempt = 1; ; attempt++) {
    const fetched = fetchBranch(repo, upstream);
    if (fetched.status === 'failed') throw failure(`git fetch ${upstream.remote} failed: ${fetched.message}`, 'check the remote (`git remote -v`), your network and credentials; nothing was changed here');
    const remoteSha = fetched.status === 'fetched' ? fetched.tip : undefined;
    const { outcome, sha } = await withLock(localPath(context, LOCAL_FILES.lock), lockOptions(context), () => ({
      outcome: integrateUnderLock(context, repo, upstream, remoteSha, options),
      sha: readHead(repo).sha!, // what we push: later commits of this clone go out with the next sync
    }));
    if (!remoteSha) integrated = 'first push';
    else if (outcome.status !== 'up-to-date') integrated = outcome.status;
    const remoteBefore = records(remoteSha);
    if (remoteSha === sha) return report(context, upstream, { sha, pushed: false, integrated, attempt, startSha, remoteSha, before, remoteBefore, after: records(sha) });
    const pushed = pushCommit(repo, upstream, sha);
    if (pushed.status === 'pushed') {
      verifyRemoteHolds(repo, upstream, sha);
      return report(context, upstream, { sha, pushed: true, integrated, attempt, startSha, remoteSha, before, remoteBefore, after: records(sha) });
    }
    if (pushed.status === 'failed') throw failure(`git push to ${upstream.remote} failed: ${pushed.message}`, 'your commits are merged here but not on the remote; fix the cause and run sync again');
    const tries = context.config.sync.tries;
    if (attempt >= tries) {
      throw failure(
        `the remote kept moving: ${tries} pushes to ${upstream.remote}/${upstream.remoteBranch} were rejected (last: ${pushed.message})`,
        'your commits are merged here; run sync again (config sync.tries sets how many pushes it tries)',
      );
    }
    await sleep(backoff(attempt));
  }
}

/** Nothing may be half-done: a merge, rebase or cherry-pick in progress, or a conflict in the work tree. */
function refuseBusyWorkTree(repo: Repo): void {
  const operation = operationInProgress(repo);
  if (operation) {
    throw failure(`a git ${operation} is in progress; sync changes nothing until it is finished`, `finish it (\`git ${operation} --continue\`) or abort it (\`git ${operation} --abort\`), then sync`);
  }
  const conflicted = unmergedPaths(repo);
  if (conflicted.length) {
    throw failure(`the work tree has a conflict in ${conflicted.join(', ')}; sync changes nothing until it is resolved`, `resolve the conflict in ${conflicted.join(', ')}, then \`git add ${conflicted.join(' ')}\` and sync`);
  }
}

function noRemote(asked: string | undefined, known: string[]): AgentstateError {
  if (asked) return usageError(`--remote ${asked}: no such remote${known.length ? ` (remotes: ${known.join(', ')})` : ''}`, 'name a remote of `git remote -v`, or add one: git remote add <name> <url>');
  if (known.length === 0) return failure('this repository has no remote to sync with', 'add one: git remote add origin <url>');
  return usageError(`several remotes (${known.join(', ')}) and none is this branch's upstream or called origin`, 'pick one: agentstate sync --remote <name>');
}

/** State files left uncommitted (a --no-commit write, a deferred commit) become a commit first, so they go out too. */
async function recordDeferred(context: StateContext): Promise<void> {
  if (uncommittedStatePaths(context).length === 0) return;
  const { mutate } = await import('./mutate.js');
  await mutate(context, 'sync', (tx) => {
    tx.recordPending = true;
    for (const path of uncommittedStatePaths(context)) tx.include(join(context.repo!.root, path));
    tx.describe('record state changes before syncing');
  });
}

function integrateUnderLock(context: StateContext, repo: Repo, upstream: Upstream, tip: string | undefined, options: SyncOptions): IntegrateResult {
  refuseBusyWorkTree(repo);
  if (!tip) return { status: 'up-to-date' };
  const message = `agentstate: sync merge ${upstream.remote}/${upstream.remoteBranch}\n\nAgentstate-Command: sync\nAgentstate-Agent: ${context.agent().replace(/\s+/g, ' ')}\n`;
  const result = integrate(repo, tip, { rebase: options.rebase === true, message, env: mergeEnvironment(context, repo) });
  if (result.status === 'conflict') {
    throw failure(
      `${options.rebase ? 'rebasing onto' : 'merging'} ${upstream.remote}/${upstream.remoteBranch} conflicts in ${result.paths.join(', ') || 'the work tree'}; undone, nothing was changed`,
      result.paths.some((path) => !path.startsWith(context.display(context.stateDir)))
        ? `merge it yourself (\`git merge ${upstream.remote}/${upstream.remoteBranch}\`), then sync`
        : 'the merge drivers did not run: `agentstate hooks install`, then sync again',
    );
  }
  if (result.status === 'refused') {
    const staged = stagedPaths(repo);
    if (staged.length) {
      // git's own words ("would be overwritten by merge") would blame files the remote never touched
      const named = staged.length > 5 ? `${staged.slice(0, 5).join(' ')} …` : staged.join(' ');
      throw failure(
        `you have staged changes (${named.replace(/ /g, ', ')}); git ${options.rebase ? 'rebases' : 'merges'} only when the index matches HEAD, so sync changed nothing`,
        `commit them, or unstage them (\`git restore --staged ${named}\` keeps your edits), then sync; sync never stashes them`,
      );
    }
    throw failure(`git refused to ${options.rebase ? 'rebase' : 'merge'}: ${result.message}`, 'nothing was changed; commit or move your uncommitted changes yourself (sync never stashes them), then sync');
  }
  return result;
}

/** The push said yes; ask the remote once more that its branch holds our commit. */
function verifyRemoteHolds(repo: Repo, upstream: Upstream, sha: string): void {
  const tip = remoteTip(repo, upstream);
  if ('failed' in tip) throw failure(`pushed, but could not ask ${upstream.remote} what it holds: ${tip.failed}`, 'run sync again to make sure');
  if (tip.sha === sha) return;
  if (tip.sha) {
    const fetched = fetchBranch(repo, upstream);
    if (fetched.status === 'fetched' && isAncestor(repo, sha, fetched.tip)) return;
  }
  throw failure(`pushed, but ${upstream.remote}/${upstream.remoteBranch} is at ${tip.sha ?? 'nothing'}, which does not hold ${sha.slice(0, 7)} (a force push?)`, 'run sync again');
}

function report(
  context: StateContext,
  upstream: Upstream,
  run: { sha: string; pushed: boolean; integrated: SyncReport['integrated']; attempt: number; startSha: string; remoteSha: string | undefined; before: RecordsAt; remoteBefore: RecordsAt; after: RecordsAt },
): SyncReport {
  const repo = context.repo!;
  return {
    remote: upstream.remote,
    branch: upstream.branch,
    remote_branch: upstream.remoteBranch,
    head: run.sha,
    pushed: run.pushed,
    integrated: run.integrated,
    tries: run.attempt,
    retries: run.attempt - 1,
    commits: { in: run.remoteSha ? commitsBetween(repo, run.startSha, run.remoteSha) : 0, out: run.pushed ? commitsBetween(repo, run.remoteSha, run.sha) : 0 },
    files: movements(run.before, run.remoteBefore, run.after),
  };
}

/** The records of each commit, read once per sync (the same commit comes up as before, remote and after). */
function recordsCache(context: StateContext): (sha: string | undefined) => RecordsAt {
  const seen = new Map<string, RecordsAt>();
  return (sha) => {
    if (!sha) return new Map();
    if (!seen.has(sha)) seen.set(sha, recordsAt(context, sha));
    return seen.get(sha)!;
  };
}

function lockOptions(context: StateContext) {
  ensureLocalDir(context);
  return {
    timeoutMs: context.config.lock.timeout_ms,
    staleMs: context.config.lock.stale_ms,
    command: 'agentstate sync',
    onWait: (holder: string) => context.notify(`waiting for the state lock, held by ${holder}`),
  };
}

/** Full jitter: a random wait up to an exponentially growing cap, so clones that collided spread out. */
export function backoff(attempt: number, random = Math.random): number {
  return Math.round(random() * Math.min(BACKOFF_BASE_MS * 2 ** attempt, BACKOFF_CAP_MS));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
