import { closeSync, constants, existsSync, fstatSync, mkdirSync, openSync, readSync, type Stats } from 'node:fs';
import { basename } from 'node:path';
import { createHash } from 'node:crypto';
import { secretIn } from '../core/guards.js';
import { usageError } from '../errors.js';
import { BLOBS_DIR } from './layout.js';
import type { StateContext } from './context.js';
import type { Transaction } from './transaction.js';

export interface Attachment {
  path: string; // relative to the state directory: blobs/<sha256>
  sha256: string;
  bytes: number;
  name: string;
}

const CHUNK = 1 << 20;
/** Scanned text overlaps this much between chunks, so a secret across a chunk boundary is seen whole. */
const OVERLAP = 16 << 10;

function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Read a file to attach. Only a regular file, at most `limits.attach_bytes`, decided from the
 * open file's own metadata before a byte is read: `/dev/zero` would never end, a FIFO would block,
 * a 200 MB file would live in git history forever. The file is opened without blocking (a FIFO
 * swapped in after a check cannot hang us), hashed while it is read in chunks, and scanned for
 * secrets chunk by chunk, like any other field (SPEC 4.10).
 */
export function readAttachment(context: StateContext, file: string): { bytes: Buffer; attachment: Attachment } {
  const limit = context.config.limits.attach_bytes;
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw usageError(`--attach ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (error as Error).message}`);
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw usageError(`--attach ${file}: ${kindOf(stats)}, not a regular file`, 'nothing was written; attach a regular file');
    if (stats.size > limit) throw tooLarge(file, stats.size, limit);
    const hash = createHash('sha256');
    const bytes = readAtMost(fd, limit, (chunk) => hash.update(chunk));
    if (bytes.length > limit) throw tooLarge(file, bytes.length, limit);
    if (!context.options.allowSecret) {
      const rule = secretInBytes(bytes);
      if (rule) throw usageError(`refused: --attach ${file} looks like it holds a secret (${rule})`, 'nothing was written; remove the secret, or pass --allow-secret');
    }
    const sha256 = hash.digest('hex');
    return { bytes, attachment: { path: `${BLOBS_DIR}/${sha256}`, sha256, bytes: bytes.length, name: basename(file) } };
  } finally {
    closeSync(fd);
  }
}

function tooLarge(file: string, size: number, limit: number) {
  return usageError(
    `refused: --attach ${file} is ${size} bytes, over the ${limit}-byte limit (limits.attach_bytes)`,
    'nothing was written; keep large files out of git history: track them with git LFS, or log a link to them (--ref URL)',
  );
}

/** Read up to `limit` + 1 bytes (one more than allowed shows that the file grew past it), chunk by chunk. */
function readAtMost(fd: number, limit: number, each: (chunk: Buffer) => void): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const chunk = Buffer.allocUnsafe(Math.min(CHUNK, limit + 1 - total));
    if (chunk.length === 0) break;
    const read = readSync(fd, chunk, 0, chunk.length, null);
    if (read === 0) break;
    chunks.push(chunk.subarray(0, read));
    each(chunk.subarray(0, read));
    total += read;
  }
  return Buffer.concat(chunks, total);
}

/** The secret scanner over a file's bytes, one chunk of text at a time (chunks overlap). */
export function secretInBytes(bytes: Buffer): string | undefined {
  for (let start = 0; start < bytes.length; start += CHUNK) {
    const rule = secretIn(bytes.subarray(Math.max(0, start - OVERLAP), start + CHUNK).toString('utf8'));
    if (rule) return rule;
  }
  return undefined;
}

/** Store a blob by its sha256; an identical blob is stored once. */
export function storeBlob(tx: Transaction, bytes: Buffer, attachment: Attachment): void {
  const path = tx.context.path(attachment.path);
  if (existsSync(path)) return;
  mkdirSync(tx.context.path(BLOBS_DIR), { recursive: true });
  tx.replace(path, bytes);
}
