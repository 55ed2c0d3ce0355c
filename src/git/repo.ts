import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { git } from './run.js';

/**
 * The git repository around a directory, found by reading the file system (no git process on
 * the hot path). Handles worktrees (`.git` is a file) and detached HEADs.
 */
export interface Repo {
  root: string; // the work tree
  gitDir: string; // this work tree's git dir (differs from commonDir in a worktree)
  commonDir: string; // objects, refs, config
}

export interface Head {
  branch?: string; // undefined when detached
  sha?: string; // undefined before the first commit
}

export function findRepo(start: string): Repo | undefined {
  let dir = resolve(start);
  for (;;) {
    const dotGit = join(dir, '.git');
    const gitDir = readGitDir(dotGit);
    if (gitDir) {
      const commonFile = join(gitDir, 'commondir');
      const commonDir = existsSync(commonFile) ? resolve(gitDir, readFileSync(commonFile, 'utf8').trim()) : gitDir;
      return { root: dir, gitDir, commonDir };
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function readGitDir(dotGit: string): string | undefined {
  try {
    const stat = statSync(dotGit);
    if (stat.isDirectory()) return existsSync(join(dotGit, 'HEAD')) ? dotGit : undefined;
    const match = /^gitdir:\s*(.+)$/m.exec(readFileSync(dotGit, 'utf8'));
    return match?.[1] ? resolve(dirname(dotGit), match[1].trim()) : undefined;
  } catch {
    return undefined;
  }
}

export function readHead(repo: Repo): Head {
  const head = readFileSync(join(repo.gitDir, 'HEAD'), 'utf8').trim();
  const symbolic = /^ref:\s*(\S+)$/.exec(head);
  if (!symbolic?.[1]) return { sha: head };
  const ref = symbolic[1];
  const branch = ref.replace(/^refs\/heads\//, '');
  return { branch, sha: resolveRef(repo, ref) };
}

function resolveRef(repo: Repo, ref: string): string | undefined {
  for (const dir of [repo.gitDir, repo.commonDir]) {
    try {
      const value = readFileSync(join(dir, ref), 'utf8').trim();
      if (value.startsWith('ref:')) return resolveRef(repo, value.slice(4).trim());
      return value;
    } catch {
      /* not a loose ref here */
    }
  }
  try {
    const packed = readFileSync(join(repo.commonDir, 'packed-refs'), 'utf8');
    for (const line of packed.split('\n')) {
      const [sha, name] = line.split(' ');
      if (name === ref) return sha;
    }
  } catch {
    /* no packed refs */
  }
  return undefined;
}

const OPERATIONS: Array<[string, string]> = [
  ['MERGE_HEAD', 'merge'],
  ['rebase-merge', 'rebase'],
  ['rebase-apply', 'rebase'],
  ['CHERRY_PICK_HEAD', 'cherry-pick'],
  ['REVERT_HEAD', 'revert'],
  ['BISECT_LOG', 'bisect'],
];

/** The git operation in progress (merge, rebase, …) during which we must not commit. */
export function operationInProgress(repo: Repo): string | undefined {
  for (const [file, name] of OPERATIONS) {
    if (existsSync(join(repo.gitDir, file))) return name;
  }
  return undefined;
}

/** True when the index marks one of the paths skip-worktree: a sparse checkout left it out. */
export function excludedBySparseCheckout(root: string, paths: string[]): boolean {
  const listed = git(root, ['ls-files', '-t', '--', ...paths]);
  return listed.status === 0 && listed.stdout.split('\n').some((line) => line.startsWith('S '));
}
