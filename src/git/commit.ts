import { join } from 'node:path';
import { faultPoint } from '../fault.js';
import { sleepSync } from '../sleep.js';
import { gitBoolean, readGitSettings, type GitSettings } from './config-file.js';
import { commitIdentity } from './identity.js';
import { IndexLock, type IndexUpdate, type PatchedIndex } from './index-file.js';
import { ObjectStore, parseCommit } from './objects.js';
import { operationInProgress, readHead, type Repo } from './repo.js';
import { git, insideGitHook } from './run.js';
import { moveHead, type HeadMove } from './ref-update.js';
import { squashTarget, type SquashPolicy } from './squash.js';
import { blobAt, editTree } from './tree-edit.js';

export type CommitOutcome =
  | { status: 'committed'; sha: string; amended?: boolean; identity?: string }
  | { status: 'unchanged' }
  | { status: 'deferred'; reason: string }
  | { status: 'off'; reason?: string };

export interface CommitFile {
  path: string; // relative to the repo root, '/'-separated
  /**
   * What the commit holds for the path; a function of HEAD's version (`sha` at once, the bytes on
   * demand) for files that are only partly ours (AGENTS.md) or that must be checked against it.
   */
  content: Buffer | ((head: HeadBlob | undefined) => Buffer);
}

export interface HeadBlob {
  sha: string;
  read(): Buffer;
}

export type SignMode = 'auto' | 'never' | 'always';

export interface CommitRequest {
  files: CommitFile[];
  message: string;
  /** Let git run its auto maintenance (gc) after this commit. */
  maintenance?: boolean;
  sign?: SignMode;
  /** Amend the previous agentstate commit instead of adding one, when the policy allows it. */
  squash?: SquashPolicy;
  /** Paths to remove from the commit and the index (only files that never belonged in git: a tracked .locks/). */
  remove?: string[];
}

/** Why a commit must be deferred right now, or undefined when it may be made. */
export function deferReason(repo: Repo | undefined): string | undefined {
  if (!repo) return 'not inside a git repository';
  if (insideGitHook()) return 'running inside a git hook';
  const operation = operationInProgress(repo);
  if (operation) return `a git ${operation} is in progress`;
  return undefined;
}

const INDEX_WAIT_MS = 1_000;

/**
 * Commit exactly `files`, with plumbing: blobs, the trees on the way to them and the commit are
 * written in-process (objects.ts), HEAD moves as `git update-ref NEW OLD` moves it (ref-update.ts;
 * a compare-and-swap: a HEAD that moved meanwhile is re-read, never overwritten), and the user's
 * index entries for exactly these paths are pointed at the new blobs while we hold index.lock.
 * The user's other staged and unstaged work is not touched, no hook runs, and the cost does not
 * grow with the number of files in the repository. The caller holds the state lock.
 */
export function commitFiles(repo: Repo, request: CommitRequest): CommitOutcome {
  const reason = deferReason(repo);
  if (reason) return { status: 'deferred', reason };
  const index = waitForIndex(repo);
  if (index === 'locked') {
    return {
      status: 'deferred',
      reason: `${join(repo.gitDir, 'index.lock')} is held (a git command is running, or one crashed and left it: \`agentstate doctor --repair\` removes an orphaned one)`,
    };
  }
  try {
    return commitHolding(repo, request, index);
  } finally {
    index.release();
  }
}

function waitForIndex(repo: Repo): IndexLock | 'locked' {
  const deadline = Date.now() + INDEX_WAIT_MS;
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    const lock = IndexLock.acquire(repo);
    if (lock !== 'locked' || Date.now() >= deadline) return lock;
    sleepSync(delay);
  }
}

function commitHolding(repo: Repo, request: CommitRequest, index: IndexLock): CommitOutcome {
  const settings = readGitSettings(repo);
  const store = new ObjectStore(repo, fsyncs(settings, 'loose-object'));
  const fixed = new Map<string, string>();
  let lastHeld: string | undefined;
  for (let attempt = 0; attempt < 20; attempt++) {
    const head = readHead(repo);
    const headCommit = head.sha ? store.readOne(head.sha) : undefined;
    if (head.sha && headCommit?.type !== 'commit') return { status: 'deferred', reason: `HEAD (${head.sha}) is not a readable commit` };
    const parsed = headCommit ? parseCommit(headCommit.body) : undefined;
    const target = request.squash && head.sha && parsed ? squashTarget(repo, store, head.sha, parsed, request.squash) : undefined;
    const baseTree = parsed?.tree;
    const blobs = request.files.map((file) => {
      const before = blobAt(store, baseTree, file.path);
      if (typeof file.content !== 'function') {
        if (!fixed.has(file.path)) fixed.set(file.path, store.write('blob', file.content));
        return { path: file.path, sha: fixed.get(file.path)!, before };
      }
      const head = before ? { sha: before.sha, read: () => store.readOne(before.sha)?.body ?? Buffer.alloc(0) } : undefined;
      return { path: file.path, sha: store.write('blob', file.content(head)), before };
    });
    const changes = blobs.filter((change) => change.before?.sha !== change.sha);
    const removed = (request.remove ?? []).filter((path) => blobAt(store, baseTree, path));
    if (changes.length === 0 && removed.length === 0) return { status: 'unchanged' };
    const tree = editTree(store, baseTree, [
      ...changes.map(({ path, sha, before }) => ({ path, blob: { sha, mode: before?.mode === '100755' ? '100755' : '100644' } })),
      ...removed.map((path) => ({ path })),
    ]);
    const parents = target ? target.parents : head.sha ? [head.sha] : [];
    const message = target ? target.message(request.message) : request.message;
    const identity = commitIdentity(repo, settings);
    const sign = request.sign === 'always' || (request.sign !== 'never' && gitBoolean(settings?.get('commit.gpgsign')) === true);
    const made = sign ? signedCommit(repo, tree, parents, message, identity) : { sha: store.write('commit', commitBody(tree, parents, identity, message)) };
    if ('reason' in made) return { status: 'deferred', reason: made.reason };
    // The new index, ready before HEAD moves: a path with an unresolved conflict stops us here.
    const updates = blobs.map(({ path, sha }) => ({ path, sha }));
    const patched = removed.length ? 'unsupported' : index.prepare(updates, store.hexLength);
    if (patched === 'conflicted') {
      return { status: 'deferred', reason: 'a state file has an unresolved conflict in the index (resolve it, then `agentstate commit`)' };
    }
    faultPoint('before-update-ref');
    const subject = message.split('\n')[0] ?? '';
    const reflogMessage = `${target ? 'commit (amend)' : 'commit'}: ${subject}`;
    const move = { from: head.sha, to: made.sha, message: reflogMessage, committer: identity.committer, zero: store.zero, durable: fsyncs(settings, 'reference') };
    const moved = moveHead(repo, settings, move);
    const outcome = typeof moved === 'object' && 'unsupported' in moved ? updateRefWithGit(repo, move) : moved;
    if (outcome === 'moved' || (typeof outcome === 'object' && 'locked' in outcome)) {
      lastHeld = typeof outcome === 'object' ? outcome.locked : undefined;
      sleepSync(5 + attempt * 5);
      continue; // HEAD moved under us (build on the new HEAD), or a git command holds its lock
    }
    if (outcome !== 'updated') return { status: 'deferred', reason: `git update-ref failed: ${outcome.failed}` };
    syncIndex(repo, index, patched, updates, store.hexLength, removed, fsyncs(settings, 'index'));
    if (request.maintenance) git(repo.root, ['-c', 'core.hooksPath=/dev/null', 'maintenance', 'run', '--auto', '--quiet']);
    return {
      status: 'committed',
      sha: made.sha,
      ...(target ? { amended: true } : {}),
      ...(identity.fallback ? { identity: identity.committer.replace(/ \d+ [+-]\d{4}$/, '') } : {}),
    };
  }
  if (lastHeld) return { status: 'deferred', reason: `${lastHeld} is held (a git command is running, or one crashed and left it); the next command records the change` };
  return { status: 'deferred', reason: 'HEAD kept moving while committing; the next command records the change' };
}

/** `git update-ref`, for the repositories moveHead leaves to git (ref-update.ts). */
function updateRefWithGit(repo: Repo, move: HeadMove): 'updated' | 'moved' | { locked: string } | { failed: string } {
  const result = git(repo.root, ['-c', 'core.hooksPath=/dev/null', 'update-ref', '-m', move.message, 'HEAD', move.to, move.from ?? move.zero]);
  if (result.status === 0) return 'updated';
  const held = /Unable to create '([^']+\.lock)'/.exec(result.stderr)?.[1];
  if (held) return { locked: held };
  if (/cannot lock ref|but expected|is at .* but expected|reference already exists/i.test(result.stderr)) return 'moved';
  return { failed: firstLine(result.stderr) };
}

function commitBody(tree: string, parents: string[], identity: { author: string; committer: string }, message: string): Buffer {
  const lines = [`tree ${tree}`, ...parents.map((parent) => `parent ${parent}`), `author ${identity.author}`, `committer ${identity.committer}`];
  return Buffer.from(`${lines.join('\n')}\n\n${message}`);
}

/** Signing is git's (gpg, ssh, x509): `git commit-tree -S`, detached from the terminal so that it never prompts. */
function signedCommit(repo: Repo, tree: string, parents: string[], message: string, identity: { author: string; committer: string }): { sha: string } | { reason: string } {
  const split = (ident: string) => /^(.*) <(.*)> (\d+ [+-]\d{4})$/.exec(ident);
  const [author, committer] = [split(identity.author), split(identity.committer)];
  const env: Record<string, string> = {};
  if (author) Object.assign(env, { GIT_AUTHOR_NAME: author[1]!, GIT_AUTHOR_EMAIL: author[2]!, GIT_AUTHOR_DATE: author[3]! });
  if (committer) Object.assign(env, { GIT_COMMITTER_NAME: committer[1]!, GIT_COMMITTER_EMAIL: committer[2]!, GIT_COMMITTER_DATE: committer[3]! });
  const result = git(repo.root, ['commit-tree', tree, ...parents.flatMap((parent) => ['-p', parent]), '-S', '-F', '-'], { env, input: message, noPrompt: true });
  if (result.status !== 0) return { reason: `signing the commit failed (git.sign follows commit.gpgSign): ${firstLine(result.stderr) || 'no signature'}` };
  return { sha: result.stdout.trim() };
}

/** Point the index entries of the committed paths at their new blobs (git's own update-index where the index needs it). */
function syncIndex(repo: Repo, index: IndexLock, patched: PatchedIndex | 'unsupported', blobs: IndexUpdate[], hexLength: number, removed: string[], durable: boolean): void {
  if (typeof patched !== 'string') {
    index.install(patched, durable);
    return;
  }
  index.release();
  const input = [...blobs.map(({ path, sha }) => `100644 ${sha}\t${path}\n`), ...removed.map((path) => `0 ${'0'.repeat(hexLength)}\t${path}\n`)].join('');
  for (let attempt = 0; attempt < 40; attempt++) {
    const result = git(repo.root, ['-c', 'core.hooksPath=/dev/null', 'update-index', '--add', '--index-info'], { input });
    if (result.status === 0 || !/index\.lock/.test(result.stderr)) return;
    sleepSync(25);
  }
}

/**
 * Whether git is set to fsync loose objects, the index or refs (core.fsyncObjectFiles, or
 * core.fsync naming them). By default it fsyncs none of them, and neither do we: the state file
 * itself is fsynced and journaled before a command is acknowledged.
 */
function fsyncs(settings: GitSettings | null, what: 'loose-object' | 'index' | 'reference'): boolean {
  if (what === 'loose-object' && gitBoolean(settings?.get('core.fsyncobjectfiles'))) return true;
  const parts = (settings?.get('core.fsync') ?? '').split(',').map((part) => part.trim());
  const groups = { index: ['all', 'index', 'derived-metadata'], reference: ['all', 'reference', 'committed'], 'loose-object': ['all', 'objects', 'loose-object', 'committed', 'added'] }[what];
  return !parts.includes(`-${what}`) && parts.some((part) => groups.includes(part));
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

/** True when git would refuse to track the path (.gitignore), for a path HEAD does not track yet. */
export function isIgnored(repo: Repo, path: string): boolean {
  return git(repo.root, ['check-ignore', '-q', '--no-index', '--', path]).status === 0;
}
