import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  lstatSync,
  openSync,
  readSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import { usageError } from '../errors.js';
import { faultPoint } from '../fault.js';

/** fsync a directory, so that a rename or a new file in it survives a crash. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, constants.O_RDONLY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** State files must be regular files: a symlink could point a write anywhere. */
export function refuseSymlink(path: string): void {
  try {
    if (lstatSync(path).isSymbolicLink()) {
      throw usageError(`${path} is a symbolic link; agentstate only writes regular files`, 'nothing was written; replace the link by the file itself');
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/**
 * Every folder between the project root and `path` must be a real folder: a symlinked
 * `.agentstate/`, `archive/` or `blobs/` (from a cloned repository, say) would send writes
 * outside the repository.
 */
export function refuseSymlinkedDirs(root: string, path: string): void {
  const rel = relative(root, dirname(path));
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return;
  let dir = root;
  for (const part of rel.split(sep)) {
    dir = join(dir, part);
    refuseSymlink(dir);
  }
}

/**
 * Atomic replace (SPEC 4.2): write a temp file in the same directory, fsync it, rename it over the
 * old one, fsync the directory. A reader sees the old file or the new one, never a mix.
 *
 * write-file-atomic would do the same but follows symlinks and does not fsync the directory; the
 * few lines here do exactly what we need without a module load on the hot path.
 */
export function writeFileAtomic(path: string, content: string | Buffer): void {
  refuseSymlink(path);
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
  try {
    const bytes = typeof content === 'string' ? Buffer.from(content) : content;
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  faultPoint('after-temp-write');
  renameSync(temp, path);
  faultPoint('after-rename');
  fsyncDir(dirname(path));
}

export interface TornTail {
  offset: number; // where the torn bytes start
  bytes: Buffer;
}

const CHUNK = 64 * 1024;

/**
 * The bytes after the last newline of an open file (empty when it ends with one), read backwards
 * from the end so the cost does not grow with the file.
 */
export function readTail(fd: number, size: number): TornTail {
  if (size === 0) return { offset: 0, bytes: Buffer.alloc(0) };
  const parts: Buffer[] = [];
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - CHUNK);
    const chunk = Buffer.alloc(end - start);
    readSync(fd, chunk, 0, chunk.length, start);
    const newline = chunk.lastIndexOf(0x0a);
    if (newline >= 0) {
      parts.unshift(chunk.subarray(newline + 1));
      return { offset: start + newline + 1, bytes: Buffer.concat(parts) };
    }
    parts.unshift(chunk);
    end = start;
  }
  return { offset: 0, bytes: Buffer.concat(parts) };
}

export interface AppendResult {
  /** Incomplete bytes found at the end and cut off before appending (a crashed append). */
  torn?: TornTail;
  /** Where those bytes were set aside. */
  tornSavedTo?: string;
}

/**
 * O(1) append (SPEC 4.3): write only the new bytes at the end, then fsync. Never parses or
 * rewrites the file. A torn last record (no final newline) is cut off first, unless
 * `isComplete` says it is a whole record that only lacks its newline (a hand edit).
 * The caller holds the state lock.
 */
export function appendDurably(path: string, data: string, isComplete: (tail: string) => boolean): AppendResult {
  refuseSymlink(path);
  // O_APPEND: every write lands at the end of the file as it is at that moment, never at an offset remembered from earlier.
  const fd = openSync(path, constants.O_RDWR | constants.O_APPEND | constants.O_NOFOLLOW);
  try {
    const size = fstatSync(fd).size;
    const tail = readTail(fd, size);
    const result: AppendResult = {};
    let prefix = '';
    if (tail.bytes.length > 0) {
      if (isComplete(tail.bytes.toString('utf8'))) {
        prefix = '\n';
      } else {
        result.torn = tail;
        result.tornSavedTo = setAside(path, tail.bytes);
        ftruncateSync(fd, tail.offset);
      }
    }
    const bytes = Buffer.from(prefix + data);
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    faultPoint('after-append');
    fsyncSync(fd);
    return result;
  } finally {
    closeSync(fd);
  }
}

/** Keep torn or corrupt bytes beside the file instead of dropping them. Returns the new path. */
export function setAside(path: string, bytes: Buffer, stamp = new Date()): string {
  const target = `${path}.corrupt-${stamp.toISOString().replace(/[:.]/g, '-')}`;
  writeFileAtomic(target, bytes);
  return target;
}
