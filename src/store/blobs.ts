import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { createHash } from 'node:crypto';
import { findSecret } from '../core/guards.js';
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

/** Read a file to attach, refusing secrets like any other field (SPEC 4.10). */
export function readAttachment(context: StateContext, file: string): { bytes: Buffer; attachment: Attachment } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw usageError(`--attach ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  if (!context.options.allowSecret) {
    const secret = findSecret(bytes.toString('utf8'));
    if (secret) throw usageError(`refused: --attach ${file} looks like it holds a secret (${secret.rule})`, 'nothing was written; remove the secret, or pass --allow-secret');
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return { bytes, attachment: { path: `${BLOBS_DIR}/${sha256}`, sha256, bytes: bytes.length, name: basename(file) } };
}

/** Store a blob by its sha256; an identical blob is stored once. */
export function storeBlob(tx: Transaction, bytes: Buffer, attachment: Attachment): void {
  const path = tx.context.path(attachment.path);
  if (existsSync(path)) return;
  mkdirSync(tx.context.path(BLOBS_DIR), { recursive: true });
  tx.replace(path, bytes);
}
