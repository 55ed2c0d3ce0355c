import { dirname, resolve } from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { usageError } from '../errors.js';
import { writeFileAtomic } from './durable.js';

/** Write a report file (not state: no lock, no commit), atomically so a reader never sees half of it. */
export function writeReport(path: string, content: string): { path: string; bytes: number } {
  const target = resolve(path);
  if (!existsSync(dirname(target)) || !statSync(dirname(target)).isDirectory()) {
    throw usageError(`--html: the folder ${dirname(target)} does not exist`, 'create it first, or write the report elsewhere');
  }
  if (existsSync(target) && statSync(target).isDirectory()) throw usageError(`--html: ${target} is a folder`, 'give a file name, e.g. --html report.html');
  const bytes = Buffer.from(content);
  writeFileAtomic(target, bytes);
  return { path: target, bytes: bytes.length };
}
