import { closeSync, existsSync, fstatSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Repo } from './repo.js';
import { gitProcessesIn } from './index-lock.js';
import { ownMark, processGone, type ProcessMark } from '../process-identity.js';

/**
 * Point existing index entries at new blobs, in-process, under git's own index.lock protocol.
 *
 * Why not `git update-index --index-info`: it reads and rewrites the whole index, 30 ms for the
 * 4 MB index of a 50,000-file repository (measured), which alone would make a state write there
 * 1.4x the same write in a small repository. Here the entries keep their place and size (only
 * the object name and the stat data change), so the file is patched in place: the cache tree of
 * the changed directories is invalidated, the end-of-entries and offset-table extensions (pure
 * speed-ups git rebuilds) are dropped, and the trailing checksum is recomputed.
 *
 * Stat data is zeroed, as `update-index --cacheinfo` does: git then compares the content on its
 * next `status` instead of trusting a time stamp (the work tree may have changed meanwhile).
 *
 * 'conflicted': an entry has a merge stage; 'unsupported': a path is not in the index yet, a
 * split or sparse index, a skip-worktree entry, an index version this does not know — the caller
 * then lets git itself do it.
 */
export interface IndexUpdate {
  path: string; // repo-relative, '/'-separated
  sha: string;
}

interface IndexLockMark extends ProcessMark {
  ino: number;
  birth: number;
}

function leaveMark(markPath: string, fd: number): void {
  const stat = fstatSync(fd);
  try {
    writeFileSync(markPath, JSON.stringify({ ...ownMark(), ino: stat.ino, birth: stat.birthtimeMs } satisfies IndexLockMark));
  } catch {
    /* no local folder yet: the lock is then only waited for, as any other */
  }
}

function removeOurOrphan(repo: Repo, lockPath: string, markPath: string): boolean {
  let mark: IndexLockMark;
  try {
    mark = JSON.parse(readFileSync(markPath, 'utf8')) as IndexLockMark;
    const stat = statSync(lockPath);
    if (typeof mark.pid !== 'number' || mark.ino !== stat.ino || mark.birth !== stat.birthtimeMs) return false;
  } catch {
    return false;
  }
  if (!existsSync('/proc/self/stat')) return false; // no way to see the git processes here
  if (!processGone(mark) || gitProcessesIn(repo).length > 0) return false;
  rmSync(lockPath, { force: true });
  return true;
}


export type PatchProblem = 'conflicted' | 'unsupported';

const DROPPED_EXTENSIONS = new Set(['EOIE', 'IEOT']);
const UNSUPPORTED_EXTENSIONS = new Set(['link', 'sdir']);

/** git's index.lock, held while our commit moves HEAD, so no other git command changes the index meanwhile. */
export class IndexLock {
  private fd = -1;
  private done = false;

  private constructor(
    private readonly indexPath: string,
    fd: number,
  ) {
    this.fd = fd;
  }

  /**
   * Take index.lock; 'locked' when another git command holds it. Ours carries a mark (who took it,
   * which file it is) so that one left by an agentstate process killed while holding it is removed
   * at once by the next writer: its owner is gone, it is the very file the owner took, and no git
   * process works in this repository. Any other index.lock is waited for, never removed.
   */
  static acquire(repo: Repo): IndexLock | 'locked' {
    const indexPath = join(repo.gitDir, 'index');
    const markPath = join(repo.gitDir, 'agentstate', 'index-lock-owner');
    for (let attempt = 0; ; attempt++) {
      try {
        const fd = openSync(`${indexPath}.lock`, 'wx', 0o644);
        leaveMark(markPath, fd);
        return new IndexLock(indexPath, fd);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        if (attempt > 0 || !removeOurOrphan(repo, `${indexPath}.lock`, markPath)) return 'locked';
      }
    }
  }

  /** The index with the entries pointed at the new blobs, or why that cannot be done here. */
  prepare(updates: IndexUpdate[], hexLength: number): Buffer | PatchProblem {
    let index: Buffer;
    try {
      index = readFileSync(this.indexPath);
    } catch {
      return 'unsupported';
    }
    return patch(index, updates, hexLength);
  }

  /** Write the new index and put it in place (the rename releases the lock). */
  install(content: Buffer, durable = false): void {
    let at = 0;
    while (at < content.length) at += writeSync(this.fd, content, at, content.length - at);
    if (durable) fsyncSync(this.fd); // as git: only when core.fsync names the index
    closeSync(this.fd);
    this.fd = -1;
    renameSync(`${this.indexPath}.lock`, this.indexPath);
    this.done = true;
  }

  /** Give the lock back without changing the index (every path that did not install). */
  release(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    if (this.done) return;
    this.done = true;
    try {
      unlinkSync(`${this.indexPath}.lock`);
    } catch {
      /* already gone */
    }
  }
}

function patch(index: Buffer, updates: IndexUpdate[], hexLength: number): Buffer | PatchProblem {
  const shaBytes = hexLength / 2;
  if (index.length < 12 + shaBytes || index.toString('latin1', 0, 4) !== 'DIRC') return 'unsupported';
  const version = index.readUInt32BE(4);
  if (version < 2 || version > 4) return 'unsupported';
  const count = index.readUInt32BE(8);
  const wanted = new Map(updates.map((update) => [update.path, update.sha]));
  // Only names of a wanted length are decoded (v2/v3: the length is in the flags): 50,000 string
  // decodings were most of the cost of a patch in a 50,000-file repository.
  const lengths = new Set(updates.map((update) => Buffer.byteLength(update.path)));
  const out = index.subarray(0, index.length - shaBytes); // patched in place: the buffer is ours (read for this patch)
  let at = 12;
  let previous = '';
  let found = 0;
  for (let i = 0; i < count; i++) {
    const start = at;
    const flags = out.readUInt16BE(start + 40 + shaBytes);
    const extended = (flags & 0x4000) !== 0;
    let nameAt = start + 40 + shaBytes + 2 + (extended ? 2 : 0);
    let path: string;
    const nameLength = flags & 0x0fff;
    if (version !== 4 && nameLength < 0x0fff && out[nameAt + nameLength] === 0) {
      at = start + Math.ceil((nameAt + nameLength - start + 1) / 8) * 8;
      if (!lengths.has(nameLength)) continue;
      path = out.toString('utf8', nameAt, nameAt + nameLength);
    } else if (version === 4) {
      let strip = 0;
      let byte: number;
      let shift = 0;
      // git's offset varint: each continuation adds one before shifting
      do {
        byte = out[nameAt++]!;
        strip = shift === 0 ? byte & 0x7f : ((strip + 1) << 7) | (byte & 0x7f);
        shift++;
      } while (byte & 0x80);
      const end = out.indexOf(0, nameAt);
      path = previous.slice(0, previous.length - strip) + out.toString('utf8', nameAt, end);
      at = end + 1;
    } else {
      const end = out.indexOf(0, nameAt);
      path = out.toString('utf8', nameAt, end);
      const length = end - start + 1;
      at = start + Math.ceil(length / 8) * 8;
    }
    previous = path;
    const sha = wanted.get(path);
    if (sha === undefined) continue;
    if ((flags & 0x3000) !== 0) return 'conflicted';
    if (extended && (out.readUInt16BE(start + 42 + shaBytes) & 0x4000) !== 0) return 'unsupported'; // skip-worktree
    out.fill(0, start, start + 24); // ctime, mtime, dev, ino
    out.fill(0, start + 28, start + 40); // uid, gid, size (mode at +24 stays)
    Buffer.from(sha, 'hex').copy(out, start + 40);
    found++;
  }
  if (found !== wanted.size) return 'unsupported';
  const entriesEnd = at;
  const extensions: Buffer[] = [];
  const dirs = changedDirectories(updates.map((update) => update.path));
  while (at + 8 <= out.length) {
    const signature = out.toString('latin1', at, at + 4);
    const size = out.readUInt32BE(at + 4);
    const body = out.subarray(at + 8, at + 8 + size);
    at += 8 + size;
    if (UNSUPPORTED_EXTENSIONS.has(signature)) return 'unsupported';
    if (DROPPED_EXTENSIONS.has(signature)) continue;
    const kept = signature === 'TREE' ? invalidateTree(body, dirs, shaBytes) : body;
    const header = Buffer.alloc(8);
    header.write(signature, 0, 'latin1');
    header.writeUInt32BE(kept.length, 4);
    extensions.push(header, kept);
  }
  const parts = [out.subarray(0, entriesEnd), ...extensions];
  let checksum = Buffer.alloc(shaBytes); // index.skipHash: git writes no checksum
  if (!index.subarray(index.length - shaBytes).every((byte) => byte === 0)) {
    const hash = createHash(shaBytes === 20 ? 'sha1' : 'sha256');
    for (const part of parts) hash.update(part);
    checksum = hash.digest();
  }
  return Buffer.concat([...parts, checksum]);
}

/** '' for the root and every directory above a changed path. */
function changedDirectories(paths: string[]): Set<string> {
  const dirs = new Set<string>(['']);
  for (const path of paths) {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  return dirs;
}

/** The cache-tree extension with the nodes of changed directories marked invalid (entry count -1, no object name). */
function invalidateTree(body: Buffer, dirs: Set<string>, shaBytes: number): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  const node = (parent: string): void => {
    const nul = body.indexOf(0, at);
    const name = body.toString('utf8', at, nul);
    const newline = body.indexOf(0x0a, nul);
    const [entries, subtrees] = body.toString('latin1', nul + 1, newline).split(' ').map(Number) as [number, number];
    at = newline + 1;
    const path = parent === '' ? name : `${parent}/${name}`;
    const sha = entries >= 0 ? body.subarray(at, at + shaBytes) : undefined;
    if (sha) at += shaBytes;
    if (dirs.has(path) || entries < 0) parts.push(Buffer.from(`${name}\0-1 ${subtrees}\n`, 'utf8'));
    else parts.push(Buffer.from(`${name}\0${entries} ${subtrees}\n`, 'utf8'), sha!);
    for (let i = 0; i < subtrees; i++) node(path);
  };
  if (body.length > 0) node('');
  return Buffer.concat(parts);
}
