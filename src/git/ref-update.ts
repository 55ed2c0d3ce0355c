import { appendFileSync, closeSync, existsSync, fsyncSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { faultPoint } from '../fault.js';
import { gitBoolean, type GitSettings } from './config-file.js';
import type { Repo } from './repo.js';

/**
 * HEAD moved in-process, as `git update-ref -m <message> HEAD <to> <from>` moves it with git's
 * files backend: the same lock files (HEAD.lock and the branch's `<ref>.lock`, created exclusively,
 * so git and we keep each other out), the old value compared under the lock (a HEAD that moved
 * meanwhile is reported, never overwritten; a lock another process holds is never taken), the reflog lines of the branch and of HEAD appended,
 * then the lock renamed over the ref. It saves a git process per write: the spawn, and loading
 * node:child_process with node:net and the stream modules, ~8 ms of CPU per command on Node 22
 * (measured, bench/scale.mjs). What it does not mirror exactly — the reftable backend, a shared
 * repository's file modes, a symlinked HEAD, a branch that is a symbolic ref, settings only git
 * reads (includes) — is left to git: 'unsupported'.
 */
export type HeadUpdate = 'updated' | 'moved' | { locked: string } | { unsupported: string };

export interface HeadMove {
  /** HEAD's commit the new one was built on; undefined on an unborn branch. */
  from: string | undefined;
  to: string;
  /** The reflog message, e.g. `commit: agentstate: log …`. */
  message: string;
  /** `Name <email> <seconds> <zone>`, as in the commit. */
  committer: string;
  /** The null object name of the repository's hash (40 or 64 zeros). */
  zero: string;
  /** fsync the ref before it is put in place (core.fsync naming references). */
  durable: boolean;
}

export function moveHead(repo: Repo, settings: GitSettings | null, move: HeadMove): HeadUpdate {
  if (settings === null) return { unsupported: 'git settings only git resolves (includes, environment overrides)' };
  const unsupported = unsupportedReason(repo, settings);
  if (unsupported) return { unsupported };
  const headPath = join(repo.gitDir, 'HEAD');
  const held = new Set<string>();
  const take = (lock: string): boolean => {
    try {
      closeSync(openSync(lock, 'wx', 0o666));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    }
    held.add(lock);
    return true;
  };
  try {
    if (!take(`${headPath}.lock`)) return { locked: `${headPath}.lock` };
    const head = readFileSync(headPath, 'utf8');
    const symbolic = /^ref: *(\S+)\s*$/.exec(head)?.[1];
    const reflogs = [join(repo.gitDir, 'logs', 'HEAD')];
    let target = headPath;
    if (symbolic) {
      if (!validBranchName(symbolic)) return { unsupported: `HEAD names ${symbolic}` };
      target = join(repo.commonDir, symbolic);
      mkdirSync(dirname(target), { recursive: true });
      if (!take(`${target}.lock`)) return { locked: `${target}.lock` };
      const current = branchValue(repo, target, symbolic);
      if (current === 'symbolic') return { unsupported: `${symbolic} is a symbolic ref` };
      if (current !== move.from) return 'moved';
      reflogs.unshift(join(repo.commonDir, 'logs', symbolic));
    } else if (head.trim() !== move.from) {
      return 'moved';
    }
    writeLock(`${target}.lock`, `${move.to}\n`, move.durable);
    const line = reflogLine(move);
    const create = createsReflogs(settings);
    for (const reflog of reflogs) appendReflog(reflog, line, create);
    faultPoint('inside-ref-update');
    renameSync(`${target}.lock`, target);
    held.delete(`${target}.lock`);
    return 'updated';
  } finally {
    // Only locks still ours: after the rename, `<ref>.lock` may already be another writer's.
    for (const lock of held) tryUnlink(lock);
  }
}

function unsupportedReason(repo: Repo, settings: GitSettings): string | undefined {
  const storage = settings.get('extensions.refstorage');
  if ((storage && storage !== 'files') || existsSync(join(repo.commonDir, 'reftable'))) return 'the reftable ref backend';
  const shared = settings.get('core.sharedrepository');
  if (shared !== undefined && gitBoolean(shared) !== false && shared !== 'umask') return 'a shared repository (core.sharedRepository)';
  if (lstatSync(join(repo.gitDir, 'HEAD')).isSymbolicLink()) return 'a symlinked HEAD';
  return undefined;
}

/** A branch name git's files backend keeps as a plain file (check-ref-format's rules, and nothing unusual). */
function validBranchName(ref: string): boolean {
  if (!/^refs\/heads\/[^\0- ~^:?*[\\\x7f]+$/.test(ref) || ref.includes('..') || ref.includes('@{')) return false;
  return ref.split('/').every((part) => part !== '' && !part.startsWith('.') && !part.endsWith('.lock') && !part.endsWith('.'));
}

/** The branch's commit: its loose file, else its line in packed-refs; undefined when it does not exist yet. */
function branchValue(repo: Repo, path: string, ref: string): string | 'symbolic' | undefined {
  let loose: string | undefined;
  try {
    loose = readFileSync(path, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (loose !== undefined) return loose.startsWith('ref:') ? 'symbolic' : loose;
  let packed: string;
  try {
    packed = readFileSync(join(repo.commonDir, 'packed-refs'), 'utf8');
  } catch {
    return undefined;
  }
  for (const line of packed.split('\n')) {
    if (line.startsWith('#') || line.startsWith('^')) continue;
    const [sha, name] = line.split(' ');
    if (name === ref) return sha;
  }
  return undefined;
}

function writeLock(path: string, text: string, durable: boolean): void {
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, text);
    if (durable) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** git's reflog line; the message's whitespace collapsed to single spaces, as git's copy_reflog_msg does. */
export function reflogLine(move: Pick<HeadMove, 'from' | 'to' | 'committer' | 'zero' | 'message'>): string {
  const message = move.message.replace(/[ \t\n\v\f\r]+/g, ' ').trim();
  return `${move.from ?? move.zero} ${move.to} ${move.committer}${message ? `\t${message}` : ''}\n`;
}

/** core.logAllRefUpdates: a missing reflog of HEAD or a branch is created unless it is false (a work tree's default is true). */
function createsReflogs(settings: GitSettings): boolean {
  const value = settings.get('core.logallrefupdates');
  return value === undefined || value === 'always' || gitBoolean(value) !== false;
}

function appendReflog(path: string, line: string, create: boolean): void {
  if (!existsSync(path)) {
    if (!create) return;
    mkdirSync(dirname(path), { recursive: true });
  }
  appendFileSync(path, line);
}

/**
 * The ref locks a writer killed inside moveHead can have left: HEAD.lock and the current
 * branch's lock, when they were made at or after `since` (when that writer took index.lock).
 * Called only once that writer is known to be gone and no git process works in the repository.
 */
export function removeOrphanedRefLocks(repo: Repo, since: number): void {
  const locks = [join(repo.gitDir, 'HEAD.lock')];
  try {
    const symbolic = /^ref: *(\S+)\s*$/.exec(readFileSync(join(repo.gitDir, 'HEAD'), 'utf8'))?.[1];
    if (symbolic && validBranchName(symbolic)) locks.push(join(repo.commonDir, `${symbolic}.lock`));
  } catch {
    /* no HEAD to read: only HEAD.lock is looked at */
  }
  for (const lock of locks) {
    try {
      if (statSync(lock).mtimeMs >= since - 1) unlinkSync(lock);
    } catch {
      /* not there */
    }
  }
}

function tryUnlink(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* gone already */
  }
}
