import { git, insideGitHook, type GitResult } from './run.js';
import { operationInProgress, readHead, type Repo } from './repo.js';

export type CommitOutcome =
  | { status: 'committed'; sha: string }
  | { status: 'unchanged' }
  | { status: 'deferred'; reason: string }
  | { status: 'off' };

export interface CommitRequest {
  paths: string[]; // relative to the repo root
  message: string;
  /** Let git run its auto maintenance (gc) after this commit. */
  maintenance?: boolean;
}

const FALLBACK_IDENTITY = {
  GIT_AUTHOR_NAME: 'agentstate',
  GIT_AUTHOR_EMAIL: 'agentstate@localhost',
  GIT_COMMITTER_NAME: 'agentstate',
  GIT_COMMITTER_EMAIL: 'agentstate@localhost',
};

const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Why a commit must be deferred right now, or undefined when it may be made. */
export function deferReason(repo: Repo | undefined): string | undefined {
  if (!repo) return 'not inside a git repository';
  if (insideGitHook()) return 'running inside a git hook';
  const operation = operationInProgress(repo);
  if (operation) return `a git ${operation} is in progress`;
  return undefined;
}

/**
 * Commit exactly `paths`, leaving the user's other staged and unstaged work as it was.
 *
 * `git commit --only` builds the commit from HEAD plus these paths and updates the real index for
 * these paths only, so the index stays in sync. Callers hold the repo-level lock, so our own
 * commits never race; a user's git holding index.lock is waited for, then the commit is deferred.
 * No user hook runs (`core.hooksPath` points nowhere, `--no-verify`).
 */
export function commitPaths(repo: Repo, request: CommitRequest): CommitOutcome {
  const reason = deferReason(repo);
  if (reason) return { status: 'deferred', reason };
  const args = [
    '-c', 'core.hooksPath=/dev/null',
    '-c', 'commit.gpgSign=false',
    // Auto maintenance forks a process after every commit (~5 ms); it runs at seals instead.
    ...(request.maintenance ? [] : ['-c', 'maintenance.auto=false']),
    'commit', '--only', '--no-verify', '--quiet', '--no-edit', '--cleanup=verbatim',
    '-m', request.message, '--', ...request.paths,
  ];
  let env: Record<string, string> | undefined;
  let added = false;
  for (let attempt = 0; ; attempt++) {
    const result = git(repo.root, args, env ? { env } : {});
    if (result.status === 0) return { status: 'committed', sha: readHead(repo).sha ?? '' };
    const why = classify(result);
    if (why === 'nothing') return { status: 'unchanged' };
    if (why === 'untracked' && !added) {
      const add = git(repo.root, ['add', '--', ...request.paths]);
      if (add.status !== 0) return { status: 'deferred', reason: `git add failed: ${firstLine(add.stderr)}` };
      added = true;
      continue;
    }
    if (why === 'identity' && !env) {
      env = FALLBACK_IDENTITY;
      continue;
    }
    if (why === 'index-locked' && attempt < 40) {
      sleepSync(25 + attempt * 5);
      continue;
    }
    return { status: 'deferred', reason: `git commit failed: ${firstLine(result.stderr || result.stdout)}` };
  }
}

function classify(result: GitResult): 'nothing' | 'untracked' | 'identity' | 'index-locked' | 'other' {
  const text = result.stderr + result.stdout;
  if (/nothing (added )?to commit|no changes added to commit|nothing to commit/i.test(text)) return 'nothing';
  if (/did not match any file\(s\) known to git/i.test(text)) return 'untracked';
  if (/tell me who you are|empty ident|unable to auto-detect email/i.test(text)) return 'identity';
  if (/index\.lock/i.test(text)) return 'index-locked';
  return 'other';
}

const firstLine = (text: string) => text.trim().split('\n')[0] ?? '';

/** State files that differ from HEAD or are untracked (for `agentstate commit`). */
export function changedPaths(repo: Repo, paths: string[]): string[] {
  const result = git(repo.root, ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--', ...paths]);
  if (result.status !== 0) return [];
  return result.stdout
    .split('\0')
    .filter((entry) => entry.length > 3)
    .map((entry) => entry.slice(3));
}
