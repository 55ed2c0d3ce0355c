import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { LOCAL_FILES, localPath } from './local.js';
import type { StateContext } from './context.js';
import { readHead } from '../git/repo.js';
import type { Transaction } from './transaction.js';

/**
 * The write-ahead journal: a per-clone file under the git dir (never in the work tree, where the
 * user's `git stash`, `git checkout -- .agentstate` or `git reset --hard` can take a record back
 * out). A record is journaled, fsynced, before its command is acknowledged; each later command,
 * under the lock, puts back any journaled record the work tree lost while the clone is on the
 * branch it was written on (once, by id), and forgets an entry once the commit that holds it is
 * an ancestor of HEAD and the work tree holds the record.
 */
export interface JournalRecord {
  kind: 'log' | 'tsv' | 'task' | 'runtime';
  file: string; // absolute path of the state file
  id: string; // record id, task id, or 'runtime'
  line: string; // the record line (log, tsv, task) or the whole runtime.json
  version?: number; // task and runtime versions
}

export interface Entry extends Omit<JournalRecord, 'file'> {
  file: string; // repo-relative
  branch: string;
  at: string;
  /** HEAD when it was journaled: once HEAD has moved, a record without its own commit may be in the user's commit (with-code). */
  head?: string;
  commit?: string;
}

export const journalPath = (context: StateContext) => localPath(context, LOCAL_FILES.journal);

export function readEntries(context: StateContext): Entry[] {
  const path = journalPath(context);
  if (!existsSync(path)) return [];
  const entries = new Map<string, Entry>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line) continue;
    let value: Record<string, unknown>;
    try {
      value = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue; // a torn last line of the journal itself
    }
    if (value.committed && Array.isArray(value.keys)) {
      for (const key of value.keys) {
        const entry = entries.get(String(key));
        if (entry) entry.commit = String(value.committed);
      }
    } else if (typeof value.id === 'string' && typeof value.file === 'string') {
      const entry = value as unknown as Entry;
      entries.set(keyOf(entry), entry);
    }
  }
  return [...entries.values()];
}

export const keyOf = (entry: { file: string; id: string; version?: number }) => `${entry.file}\0${entry.id}\0${entry.version ?? ''}`;

/** Append lines; `durable` fsyncs them (a record about to be acknowledged must be). */
function appendLines(context: StateContext, lines: string[], durable: boolean): void {
  if (lines.length === 0) return;
  const fd = openSync(journalPath(context), 'a', 0o600);
  try {
    writeSync(fd, lines.map((line) => `${line}\n`).join(''));
    if (durable) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Keep only these entries. Not fsynced: forgetting is never urgent (an entry that comes back
 * after a crash is looked at again and forgotten again), but the rename keeps the file whole.
 */
export function rewriteJournal(context: StateContext, entries: Entry[]): void {
  const path = journalPath(context);
  if (entries.length === 0) {
    truncateSync(path, 0);
    return;
  }
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, entries.map((entry) => `${JSON.stringify(entry)}\n`).join(''), { mode: 0o600 });
  renameSync(temp, path);
}

export function currentBranch(context: StateContext): string {
  if (!context.repo) return 'none';
  const head = readFileSync(join(context.repo.gitDir, 'HEAD'), 'utf8').trim();
  return head.startsWith('ref:') ? head.slice(4).trim() : 'HEAD';
}

/** Journal the records of a transaction (durably) before the command is acknowledged. */
export function journalRecords(tx: Transaction): void {
  if (tx.records.length === 0) return;
  const { context } = tx;
  const branch = currentBranch(context);
  const at = new Date().toISOString();
  const head = context.repo ? readHead(context.repo).sha : undefined;
  appendLines(
    context,
    tx.records.map((record) => JSON.stringify({ ...record, file: context.display(record.file), branch, at, ...(head ? { head } : {}) })),
    true,
  );
}

/** The commit that holds a transaction's records. */
export function journalCommitted(tx: Transaction, sha: string): void {
  const keys = [...tx.records.map((record) => keyOf({ ...record, file: tx.context.display(record.file) })), ...tx.journalCarried];
  // Not fsynced: lost, the entry is found in HEAD's history by the next command all the same.
  if (keys.length) appendLines(tx.context, [JSON.stringify({ committed: sha, keys })], false);
}

