import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { parseRecordLine } from '../core/line-format.js';

const CHUNK = 64 * 1024;
type Rec = Record<string, unknown>;

/**
 * The last `count` record lines of a one-record-per-line file that `accept` takes, read backwards
 * from the end: the cost follows what is shown, not the size of the log. Oldest first. A torn last
 * line never parses as a record, so it is skipped. With `needle` (a rare record, such as the latest
 * handoff), the search jumps from one occurrence of that text to the previous one and parses only
 * those lines.
 */
export function lastRecords(path: string, count: number, accept: (record: Rec) => boolean = () => true, needle?: string): Rec[] {
  if (count <= 0 || !existsSync(path)) return [];
  return needle === undefined ? lastLines(path, count, accept) : lastLinesWith(path, count, accept, Buffer.from(needle));
}

function take(line: Buffer, accept: (record: Rec) => boolean): Rec | undefined {
  const parsed = parseRecordLine(line.toString('utf8'));
  return parsed.kind === 'record' && accept(parsed.value) ? parsed.value : undefined;
}

function lastLines(path: string, count: number, accept: (record: Rec) => boolean): Rec[] {
  const fd = openSync(path, 'r');
  const found: Rec[] = [];
  const consider = (line: Buffer) => {
    const record = take(line, accept);
    if (record) found.unshift(record);
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

function lastLinesWith(path: string, count: number, accept: (record: Rec) => boolean, needle: Buffer): Rec[] {
  const bytes = readFileSync(path);
  const found: Rec[] = [];
  for (let hit = bytes.lastIndexOf(needle); hit >= 0 && found.length < count; ) {
    const start = bytes.lastIndexOf(0x0a, hit) + 1;
    const newline = bytes.indexOf(0x0a, hit);
    const record = take(bytes.subarray(start, newline < 0 ? bytes.length : newline), accept);
    if (record) found.unshift(record);
    if (start === 0) break;
    hit = bytes.lastIndexOf(needle, start - 1);
  }
  return found;
}
