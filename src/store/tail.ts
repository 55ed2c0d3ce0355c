import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { parseRecordLine } from '../core/line-format.js';

const CHUNK = 64 * 1024;
type Rec = Record<string, unknown>;

/**
 * The last `count` record lines of a one-record-per-line file that `accept` takes, read backwards
 * from the end: the cost follows what is shown, not the size of the log. Oldest first. A torn last
 * line never parses as a record, so it is skipped.
 */
export function lastRecords(path: string, count: number, accept: (record: Rec) => boolean = () => true): Rec[] {
  if (count <= 0 || !existsSync(path)) return [];
  const fd = openSync(path, 'r');
  const found: Rec[] = [];
  const consider = (line: Buffer) => {
    const parsed = parseRecordLine(line.toString('utf8'));
    if (parsed.kind === 'record' && accept(parsed.value)) found.unshift(parsed.value);
  };
  try {
    let end = fstatSync(fd).size;
    let carry = Buffer.alloc(0);
    while (end > 0) {
      const start = Math.max(0, end - CHUNK);
      const chunk = Buffer.alloc(end - start);
      readSync(fd, chunk, 0, chunk.length, start);
      const buffer = Buffer.concat([chunk, carry]);
      let cut = buffer.length;
      for (let nl = buffer.lastIndexOf(0x0a, cut - 1); nl >= 0 && cut > 0; nl = buffer.lastIndexOf(0x0a, cut - 1)) {
        consider(buffer.subarray(nl + 1, cut));
        if (found.length >= count) return found;
        cut = nl;
      }
      if (start === 0) {
        consider(buffer.subarray(0, cut));
        break;
      }
      carry = buffer.subarray(0, cut);
      end = start;
    }
    return found.slice(-count);
  } finally {
    closeSync(fd);
  }
}
