import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { durationMs } from '../core/config.js';
import { commitFiles, deferReason, isIgnored, type CommitFile, type CommitOutcome, type HeadBlob } from '../git/commit.js';
import { withAttributes } from '../git/merge-setup.js';
import { ObjectStore, parseCommit } from '../git/objects.js';
import { readHead } from '../git/repo.js';
import { entryAt } from '../git/tree-edit.js';
import { findBlock, spliceBlock } from './boot-file.js';
import { lfBytes } from './record-file.js';
import { faultPoint } from '../fault.js';
import { journalCommitted } from './journal.js';
import { reportReconciled } from './heal.js';
import { reconcileLog } from '../core/log-heal.js';
import { BOOT_FILE, FILES, LOCKS_DIR, LOGS, STATE_DIR } from './layout.js';
import { LOCAL_FILES, localPath } from './local.js';
import { readPending, writePending, type Transaction } from './transaction.js';
import type { StateContext } from './context.js';

/**
 * Record what a transaction changed (plus anything an earlier command left pending) as one
 * commit, in the commit mode in force. Only agentstate's own bytes are committed: the state files
 * as this command wrote them, AGENTS.md as HEAD has it with only our block replaced,
 * .gitattributes as HEAD has it plus our lines. And no commit of ours ever removes a record from
 * an append-only log (a seal moves records into archive/ in the same commit).
 */
export const pendingFile = (context: StateContext) => localPath(context, LOCAL_FILES.deferred);
const changesFile = (context: StateContext) => localPath(context, LOCAL_FILES.pendingChanges);

/** How many changes wait for a commit (one line each, kept beside the pending paths). */
export function pendingChangeCount(context: StateContext): number {
  try {
    return readFileSync(changesFile(context), 'utf8').split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
}

/** Nothing waits any more: a commit holds it all. */
export function clearPending(context: StateContext): void {
  writePending(pendingFile(context), []);
  rmSync(changesFile(context), { force: true });
}

function notePendingChange(context: StateContext, command: string, tx: Transaction): void {
  appendFileSync(changesFile(context), `${command}\t${tx.summary.replace(/\s+/g, ' ').trim()}\n`);
}

/** Note the paths about to be written, before the first byte: a process killed before its commit leaves them for the next command. */
export function notePending(context: StateContext, path: string): void {
  const file = pendingFile(context);
  const before = readPending(file);
  const display = context.display(path);
  if (!before.includes(display)) writePending(file, [...before, display]);
}

export function recordChanges(context: StateContext, command: string, tx: Transaction): CommitOutcome {
  const file = pendingFile(context);
  const paths = new Set([...readPending(file), ...[...tx.changed].map((path) => context.display(path))]);
  const remove = [...tx.untracked].map((path) => context.display(path)).filter((path) => path.startsWith(`${context.display(context.path(LOCKS_DIR))}/`));
  if (paths.size === 0 && remove.length === 0) return { status: 'unchanged' };
  const mode = context.commitMode;
  if (mode === 'off') {
    // --no-commit leaves the paths pending for the next command; git.commit: off records nothing, ever.
    if (context.options.commit !== false) clearPending(context);
    else notePendingChange(context, command, tx);
    return { status: 'off' };
  }
  if (mode === 'with-code' && !tx.recordPending) {
    writePending(file, paths);
    notePendingChange(context, command, tx);
    return { status: 'off', reason: 'with-code: the state joins your next commit (the pre-commit hook adds it; `agentstate commit` records it now)' };
  }
  const repo = context.repo;
  const reason = deferReason(repo);
  faultPoint('before-commit');
  if (!repo) {
    // Nothing will ever record it (a later `git init` starts its own history): no promise of a commit.
    context.warn('not versioned: this directory is not inside a git repository; the change is written to disk only');
    return { status: 'deferred', reason: 'not inside a git repository' };
  }
  if (reason) return deferred(context, command, tx, reason);
  if (isNotVersioned(context)) {
    clearPending(context);
    const why = `not versioned: ${STATE_DIR}/ is git-ignored`;
    sayOnce(context, LOCAL_FILES.notVersionedNoted, `${why}; the state is written here and never committed (remove it from .gitignore to version it)`);
    return { status: 'off', reason: why };
  }
  const files = [...paths].sort().flatMap((path) => commitFile(context, tx, path));
  const outcome = commitFiles(repo, {
    files,
    remove,
    message: commitMessage(context, command, tx),
    maintenance: tx.sealed,
    sign: context.config.git.sign,
    ...(mode === 'squash'
      ? { squash: { windowMs: durationMs(context.config.git.squash_window) ?? 600_000, isStatePath: (path: string) => isOurPath(context, path) } }
      : {}),
  });
  if (outcome.status === 'deferred') return deferred(context, command, tx, outcome.reason);
  faultPoint('after-commit');
  clearPending(context);
  if (outcome.status === 'committed') {
    journalCommitted(tx, outcome.sha);
    if (outcome.identity) noteFallbackIdentity(context, outcome.identity);
  }
  return outcome;
}

function commitMessage(context: StateContext, command: string, tx: Transaction): string {
  const summary = tx.summary.replace(/\s+/g, ' ').trim();
  const short = summary.length > 72 ? `${summary.slice(0, 71)}…` : summary;
  const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();
  const trailers = [
    tx.recordId ? `Agentstate-Id: ${tx.recordId}` : '',
    `Agentstate-Command: ${command}`,
    `Agentstate-Agent: ${oneLine(context.agent())}`,
    context.session() ? `Agentstate-Session: ${oneLine(context.session() ?? '')}` : '',
  ].filter(Boolean);
  return `agentstate: ${command}${short ? ` ${short}` : ''}\n\n${trailers.join('\n')}\n`;
}

function deferred(context: StateContext, command: string, tx: Transaction, reason: string): CommitOutcome {
  notePendingChange(context, command, tx);
  context.warn(`nothing was committed (${reason}); the change is on disk, and \`agentstate commit\` or the next command records it`);
  return { status: 'deferred', reason };
}

/** The paths agentstate may commit: its state folder, AGENTS.md, .gitattributes. */
function isOurPath(context: StateContext, path: string): boolean {
  const state = context.display(context.stateDir);
  return path.startsWith(`${state}/`) || path === context.display(join(context.root, BOOT_FILE)) || path === context.display(join(context.root, '.gitattributes'));
}

/** The bytes the commit holds for one path. */
function commitFile(context: StateContext, tx: Transaction, path: string): CommitFile[] {
  const absolute = join(context.repo!.root, path);
  const bytes = tx.contents.get(absolute) ?? (existsSync(absolute) ? readFileSync(absolute) : undefined);
  if (bytes === undefined) return []; // a state file is never deleted by a commit of ours
  if (path === context.display(join(context.root, BOOT_FILE))) {
    const block = findBlock(bytes.toString('utf8'))?.block;
    if (!block) return [];
    return [{ path, content: (head) => Buffer.from(spliceBlock(head?.read().toString('utf8'), block)) }];
  }
  if (path === context.display(join(context.root, '.gitattributes'))) {
    return [{ path, content: (head) => Buffer.from(withAttributes(head?.read().toString('utf8'))) }];
  }
  // A state file checked out with CRLF (core.autocrlf) is committed with LF, as `git add` would.
  if (isLogPath(context, path)) return [{ path, content: (head) => withHeadRecords(context, tx, path, lfBytes(tx.contents.get(absolute) ?? bytes), head) }];
  return [{ path, content: path.startsWith(`${context.display(context.stateDir)}/blobs/`) ? bytes : lfBytes(bytes) }];
}

function isLogPath(context: StateContext, path: string): boolean {
  const state = context.display(context.stateDir);
  const logs = [...Object.values(LOGS).map((log) => log.file), FILES.catches];
  return logs.some((name) => path === `${state}/${name}`) || (path.startsWith(`${state}/archive/`) && !path.includes('.corrupt-'));
}

/**
 * Append-only, made sure of where the commit is made, against HEAD as it is at that moment: every
 * record HEAD's version holds is in the new version (or in a sealed segment of this commit), each
 * record once. A user's git command racing this one (a `stash pop` rewriting the file) can have
 * taken one out of the work tree, or put one back twice, after we read it: the file is mended in
 * the work tree and in the commit, and no removal is ever committed. Cheap in the common case
 * (HEAD's bytes are a prefix and the lines after them are new).
 */
function withHeadRecords(context: StateContext, tx: Transaction, path: string, bytes: Buffer, head: HeadBlob | undefined): Buffer {
  if (!head || tx.matchedHead.get(join(context.repo!.root, path))?.sha === head.sha) return bytes; // HEAD's bytes plus this command's new records
  const sealed = [...tx.contents].filter(([file]) => context.display(file).startsWith(`${context.display(context.stateDir)}/archive/`)).map(([, content]) => content);
  const fixed = reconcileLog(head.read(), bytes, { tsv: path.endsWith('.tsv'), elsewhere: sealed });
  if (!fixed) return bytes;
  tx.replace(join(context.repo!.root, path), fixed.content);
  reportReconciled(context, path, fixed);
  return fixed.content;
}

/** .agentstate/ ignored by git and not tracked: the user chose not to version it. */
function isNotVersioned(context: StateContext): boolean {
  const repo = context.repo!;
  const head = readHead(repo).sha;
  if (head) {
    const store = new ObjectStore(repo);
    const commit = store.readOne(head);
    const tree = commit?.type === 'commit' ? parseCommit(commit.body).tree : undefined;
    if (entryAt(store, tree, context.display(context.stateDir))) return false;
  }
  return isIgnored(repo, context.display(context.path(FILES.config)));
}

/** A warning said once per clone (a marker under the git dir remembers it). */
function sayOnce(context: StateContext, marker: string, message: string): void {
  const path = localPath(context, marker);
  if (existsSync(path)) return;
  writeFileSync(path, `${message}\n`);
  context.warn(message);
}

/** git has no identity here, so our commits carry a fallback one. */
function noteFallbackIdentity(context: StateContext, identity: string): void {
  sayOnce(context, LOCAL_FILES.identityNoted, `git has no user.name/user.email here: agentstate commits as ${identity} (set them with \`git config user.name …\` and \`git config user.email …\`)`);
}
