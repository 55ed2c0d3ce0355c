import { join } from 'node:path';
import { parseRecordLine } from '../core/line-format.js';
import { reconcileLog, recordNeedle, type Reconciled } from '../core/log-heal.js';
import { ObjectStore } from '../git/objects.js';
import { readHead } from '../git/repo.js';
import { git } from '../git/run.js';
import { headFile } from '../git/tree-edit.js';
import { currentBranch, keyOf, readEntries, rewriteJournal, type Entry } from './journal.js';
import { archiveSegments, isCompleteRecordLine } from './logs.js';
import type { StateContext } from './context.js';
import type { Transaction } from './transaction.js';

/**
 * Healing, under the lock, before a command writes: put back into the work tree what the user's
 * own git commands took out of it (a stash, a checkout, a reset racing our writes).
 *   - from the journal: acknowledged records (and task or runtime versions) of this branch;
 *   - from HEAD: records a log in HEAD holds that the work tree's copy lost, so that no commit
 *     of ours ever records their removal.
 */
/**
 * From the journal: put back what the work tree lost, and forget what is safely in history. Returns how many
 * records were put back. The caller holds the lock; the writes go through the transaction.
 */
export function healFromJournal(tx: Transaction): number {
  const { context } = tx;
  const entries = readEntries(context);
  if (entries.length === 0) return 0;
  const branch = currentBranch(context);
  const head = context.repo ? readHead(context.repo).sha : undefined;
  const ancestry = new Map<string, boolean>();
  const isAncestor = (sha: string) => {
    if (sha === head) return true;
    if (!context.repo || !head) return false;
    if (!ancestry.has(sha)) ancestry.set(sha, git(context.repo.root, ['merge-base', '--is-ancestor', sha, 'HEAD']).status === 0);
    return ancestry.get(sha)!;
  };
  const store = context.repo ? new ObjectStore(context.repo) : undefined;
  const headBytes = new Map<string, Buffer | undefined>();
  /** A record without a commit of ours (commit mode with-code) is safe once HEAD's copy of its file holds it. */
  const inHead = (entry: Entry): boolean => {
    if (!store) return false;
    if (!headBytes.has(entry.file)) headBytes.set(entry.file, headFile(store, head, entry.file)?.read());
    const bytes = headBytes.get(entry.file);
    if (!bytes) return false;
    if (entry.kind === 'runtime') {
      try {
        return Number((JSON.parse(bytes.toString('utf8')) as { version?: number }).version) >= (entry.version ?? 0);
      } catch {
        return false;
      }
    }
    if (entry.kind === 'task') {
      const version = taskVersion(bytes, entry.id);
      return typeof version === 'number' && version >= (entry.version ?? 0);
    }
    return bytes.includes(recordNeedle(entry.id, entry.kind === 'tsv'));
  };
  const keep: Entry[] = [];
  let restored = 0;
  const now = Date.now();
  for (const entry of entries) {
    const path = join(context.repo?.root ?? context.root, entry.file);
    if (entry.branch !== branch) {
      const alive = Date.parse(entry.at) > now - 30 * 86_400_000 && (entry.branch === 'HEAD' || refExists(context, entry.branch));
      if (alive) keep.push(entry);
      continue;
    }
    if (entry.kind === 'log' || entry.kind === 'tsv') tx.beforeFirstAppend(path); // HEAD's records first, so none is put back twice
    let present = holds(tx, entry, path);
    if (!present) {
      restore(tx, entry, path);
      restored++;
      present = true;
    }
    // Committed by us, or (a rebase replays our commit under another id; with-code commits it in the user's) held by HEAD's copy.
    const proven = (entry.commit ? isAncestor(entry.commit) : false) || (entry.head !== head && inHead(entry));
    if (!proven) {
      keep.push(entry);
      tx.include(path); // in the work tree, not (yet) in HEAD's history: this command's commit records it
      tx.journalCarried.push(keyOf(entry));
    }
  }
  if (keep.length !== entries.length) {
    rewriteJournal(context, keep);
  }
  if (restored) context.warn(`put back ${restored} acknowledged record(s) that a git command had removed from the work tree (from the journal)`);
  return restored;
}

function refExists(context: StateContext, ref: string): boolean {
  return !!context.repo && git(context.repo.root, ['rev-parse', '--verify', '--quiet', ref]).status === 0;
}

/** Does the work tree hold this record (or a newer version of the task or runtime state)? */
function holds(tx: Transaction, entry: Entry, path: string): boolean {
  const content = tx.read(path);
  if (entry.kind === 'runtime') {
    if (!content) return false;
    try {
      return Number((JSON.parse(content.toString('utf8')) as { version?: number }).version) >= (entry.version ?? 0);
    } catch {
      return true; // unreadable: doctor's business, never overwrite it here
    }
  }
  if (entry.kind === 'task') {
    const version = taskVersion(content, entry.id);
    if (version === 'unreadable' || (version ?? -1) >= (entry.version ?? 0)) return true; // a damaged line is doctor's, never overwritten here
    // A seal moves settled tasks into archive/backlog.<stamp>.yaml: that version counts too.
    return archiveSegments(tx.context, path.slice(path.lastIndexOf('/') + 1)).some((segment) => {
      const sealed = taskVersion(tx.read(segment), entry.id);
      return typeof sealed === 'number' && sealed >= (entry.version ?? 0);
    });
  }
  const needle = recordNeedle(entry.id, entry.kind === 'tsv');
  if (content?.includes(needle)) return true;
  // A seal moves records into archive/: look in the sealed segments of the same log.
  const name = path.slice(path.lastIndexOf('/') + 1);
  return archiveSegments(tx.context, name).some((segment) => tx.read(segment)?.includes(needle));
}

function taskVersion(content: Buffer | undefined, id: string): number | 'unreadable' | undefined {
  if (!content) return undefined;
  const at = content.indexOf(`"id":"${id}"`);
  if (at < 0) return undefined;
  const start = content.lastIndexOf(0x0a, at) + 1;
  const end = content.indexOf(0x0a, at);
  const parsed = parseRecordLine(content.subarray(start, end < 0 ? content.length : end).toString('utf8'));
  return parsed.kind === 'record' && typeof parsed.value.version === 'number' ? parsed.value.version : 'unreadable';
}

function restore(tx: Transaction, entry: Entry, path: string): void {
  if (entry.kind === 'log' || entry.kind === 'tsv') {
    tx.append(path, `${entry.line}\n`, entry.kind === 'log' ? isCompleteRecordLine : () => false);
    return;
  }
  if (entry.kind === 'runtime') {
    tx.replace(path, entry.line);
    return;
  }
  const content = tx.read(path)?.toString('utf8') ?? '';
  const lines = content.split('\n');
  const at = lines.findIndex((line) => line.includes(`"id":"${entry.id}"`));
  if (at >= 0) lines[at] = entry.line;
  else lines.splice(lines.length - (lines[lines.length - 1] === '' ? 1 : 0), 0, entry.line);
  tx.replace(path, lines.join('\n'));
}

/**
 * Before the first append to a log: make the work tree's copy hold every record HEAD holds, each
 * once. A user's git command racing our writes (a stash, a pop, a checkout) can take records out
 * or put one back twice. Cheap in the common case: one hash when the file is exactly HEAD's, a
 * look at the lines after HEAD's bytes when it only grew.
 */
export function healFromHead(tx: Transaction, path: string): void {
  const { context } = tx;
  const repo = context.repo;
  const content = tx.read(path);
  if (!repo || !content) return;
  const store = new ObjectStore(repo);
  const head = headFile(store, readHead(repo).sha, context.display(path));
  if (!head) return;
  if (head.sha === store.hash('blob', content)) {
    tx.matchedHead.set(path, { sha: head.sha, bytes: content });
    return;
  }
  const fixed = reconcileLog(head.read(), content, { tsv: path.endsWith('.tsv') });
  if (!fixed) return;
  tx.replace(path, fixed.content);
  reportReconciled(context, context.display(path), fixed);
}

export function reportReconciled(context: StateContext, display: string, fixed: Reconciled): void {
  if (fixed.lost) context.warn(`put back ${fixed.lost} committed record(s) that a git command had taken out of ${display} (HEAD holds them)`);
  if (fixed.doubled) context.warn(`${display}: dropped ${fixed.doubled} second copy(ies) of a record (a git command had put it back twice)`);
}
