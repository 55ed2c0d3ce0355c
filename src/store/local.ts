import { mkdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, relative, sep } from 'node:path';
import { LOCKS_DIR } from './layout.js';
import type { StateContext } from './context.js';

/**
 * Where this clone keeps what must never come from git: the state lock, the write-ahead journal,
 * deferred-commit notes, the check point and caches. Under the git dir (per work tree), a
 * repository someone else prepared cannot ship any of it; a project in a subfolder of the
 * repository gets its own folder there. Outside a git repository: `.agentstate/.locks/`.
 */
export function localDir(context: StateContext): string {
  const repo = context.repo;
  if (!repo) return context.path(LOCKS_DIR);
  const project = relative(repo.root, context.root).split(sep).join('/');
  const base = join(repo.gitDir, 'agentstate');
  return project === '' ? base : join(base, `project-${createHash('sha256').update(project).digest('hex').slice(0, 12)}`);
}

/** A file in the local folder. */
export const localPath = (context: StateContext, name: string) => join(localDir(context), name);

/** The local folder, created when missing (for writers). */
export function ensureLocalDir(context: StateContext): string {
  const dir = localDir(context);
  mkdirSync(dir, { recursive: true });
  return dir;
}

export const LOCAL_FILES = {
  lock: 'state.lock',
  deferred: 'deferred-commit',
  pendingChanges: 'pending-changes',
  checkPoint: 'check-point',
  checkedSegments: 'checked-segments',
  segmentsWithoutHandoff: 'segments-without-handoff',
  handoffCommit: 'handoff-commit',
  journal: 'journal',
  identityNoted: 'identity-noted',
  notVersionedNoted: 'not-versioned-noted',
} as const;
