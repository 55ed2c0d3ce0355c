import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gitWithIndex, hasHead, readTreeFiles } from '../git/blobs.js';
import { changedPaths } from '../git/commit.js';
import { ARCHIVE_DIR, BOOT_FILE, FILES, LOCKS_DIR } from './layout.js';
import { git } from '../git/run.js';
import { LOCAL_FILES, localDir, localPath } from './local.js';
import type { StateContext } from './context.js';

/** The state files as the working tree, the index or HEAD holds them, keyed by repo-relative path. */
export type FileSet = Map<string, Buffer>;

export function workingTreeFiles(context: StateContext): FileSet {
  const files: FileSet = new Map();
  const add = (absolute: string) => {
    if (existsSync(absolute)) files.set(context.display(absolute), readFileSync(absolute));
  };
  for (const name of Object.values(FILES)) add(context.path(name));
  const archive = context.path(ARCHIVE_DIR);
  if (existsSync(archive)) for (const name of readdirSync(archive)) if (!name.includes('.corrupt-') && !name.endsWith('.tmp')) add(join(archive, name));
  add(join(context.root, BOOT_FILE));
  return files;
}

function treePrefixes(context: StateContext): string[] {
  return [context.display(context.stateDir), context.display(join(context.root, BOOT_FILE))];
}

export function headFiles(context: StateContext): FileSet {
  if (!context.repo || !hasHead(context.repo.root)) return new Map();
  return readTreeFiles(context.repo.root, 'HEAD', treePrefixes(context));
}

/** What is staged; inside a pre-commit hook, the hook's own index (GIT_INDEX_FILE) is what will be committed. */
export function indexFiles(context: StateContext): FileSet {
  if (!context.repo) return new Map();
  return readTreeFiles(context.repo.root, '', treePrefixes(context), process.env.GIT_INDEX_FILE);
}

/**
 * What a commit being made does to the state: `none` (no state in the index nor in HEAD: a repository
 * that does not use agentstate), `unchanged` (the state files are staged as HEAD has them), or
 * `changed`. Asked of git by object ids, without reading a file.
 */
export function stagedStateStatus(context: StateContext): 'none' | 'unchanged' | 'changed' {
  const root = context.repo!.root;
  const index = process.env.GIT_INDEX_FILE;
  const stateDir = context.display(context.stateDir);
  const head = hasHead(root);
  const inIndex = gitWithIndex(root, ['ls-files', '--', stateDir], index).stdout.trim() !== '';
  const inHead = head && gitWithIndex(root, ['ls-tree', '--name-only', 'HEAD', '--', stateDir]).stdout.trim() !== '';
  if (!inIndex && !inHead) return 'none';
  if (!head) return 'changed';
  return gitWithIndex(root, ['diff-index', '--cached', '--quiet', 'HEAD', '--', ...treePrefixes(context)], index).status === 0 ? 'unchanged' : 'changed';
}

/** State files with changes git has not recorded: never lock files, temp files or set-aside bytes. */
export function uncommittedStatePaths(context: StateContext): string[] {
  if (!context.repo) return [];
  const candidates = [context.stateDir, join(context.root, BOOT_FILE), join(context.root, '.gitattributes')].map((path) => context.display(path));
  return changedPaths(context.repo, candidates).filter((path) => !/(^|\/)\.locks\/|\.corrupt-|\.tmp$/.test(path));
}

/** Hashes of sealed segments that passed a full check (kept under the git dir: never trusted from a clone). */
const segmentCachePath = (context: StateContext) => localPath(context, LOCAL_FILES.checkedSegments);

export function readSegmentCache(context: StateContext): Set<string> {
  try {
    return new Set(readFileSync(segmentCachePath(context), 'utf8').split('\n').filter((line) => /^[0-9a-f]{40}$/.test(line)));
  } catch {
    return new Set();
  }
}

export function writeSegmentCache(context: StateContext, known: Set<string>, validated: string[]): void {
  const fresh = validated.filter((digest) => !known.has(digest));
  if (fresh.length === 0 || !existsSync(localDir(context))) return;
  writeFileSync(segmentCachePath(context), [...known, ...fresh].join('\n') + '\n');
}

/**
 * Files a repository tracks under `.agentstate/.locks/`: agentstate never reads them (its local
 * files live under the git dir), so a clone cannot plant a deferred-commit list or a cache there.
 */
export function trackedLocalFiles(context: StateContext): string[] {
  if (!context.repo || !existsSync(context.path(LOCKS_DIR))) return [];
  const listed = git(context.repo.root, ['ls-files', '-z', '--', context.display(context.path(LOCKS_DIR))]);
  return listed.status === 0 ? listed.stdout.split('\0').filter(Boolean) : [];
}
