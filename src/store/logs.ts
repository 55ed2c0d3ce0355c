import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { basename } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { fileHeader, parseRecordLine, recordLine, toLineJson } from '../core/line-format.js';
import { SCHEMA_VERSION } from '../core/schemas.js';
import { upgradeEvent } from '../core/migrations.js';
import { newId } from '../core/ids.js';
import { onceDuplicates, onceOwners } from '../core/once.js';
import { CATCH_HEADER, formatRow, parseRow, type CatchRow } from '../core/tsv.js';
import { unreadableError } from '../errors.js';
import { ARCHIVE_DIR, FILES, LOGS, type LogName } from './layout.js';
import { parseRecordText, readRecordFile, withoutBom, type Located } from './record-file.js';
import type { StateContext } from './context.js';
import type { Transaction } from './transaction.js';

/** The id part a `--once` catch row gets from its key: a catch row has no column for the key. */
export function onceId(prefix: string, key: string): string {
  const digest = createHash('sha256').update(`${prefix}\0${key}`).digest();
  const alphabet = '0123456789abcdefghjkmnpqrstvwxyz';
  let body = '';
  for (let i = 0; i < 10; i++) body += alphabet[(digest[i] as number) & 31];
  return `${prefix}-${body}`;
}

/**
 * A `--once` catch row's id: the key's id part and a random tail, so two clones that catch with one
 * key write two rows a merge keeps (see core/once.ts), and a lookup still finds them by the key.
 */
export const onceCatchId = (key: string) => `${onceId('ct', key)}${newId('catch').slice(-ONCE_TAIL)}`;
const ONCE_TAIL = 6;

export const isCompleteRecordLine = (tail: string) => parseRecordLine(tail).kind === 'record';
/** A TSV row is complete only with its newline: a row cut inside its last field still has 7 fields. */
const isCompleteRow = () => false;

export function logPath(context: StateContext, name: LogName): string {
  return context.path(LOGS[name].file);
}

/** Sealed segments of a log, oldest first (SPEC section 9). */
export function archiveSegments(context: StateContext, file: string): string[] {
  const dir = context.path(ARCHIVE_DIR);
  if (!existsSync(dir)) return [];
  const stem = file.replace(/\.[^.]+$/, '');
  return readdirSync(dir)
    .filter((name) => name.startsWith(`${stem}.`) && name.endsWith(file.slice(stem.length)))
    .sort()
    .map((name) => context.path(ARCHIVE_DIR, name));
}

/** Append one record to a YAML log: O(1), under the lock the transaction holds. */
export async function appendLogRecord(tx: Transaction, name: LogName, record: object): Promise<void> {
  const path = logPath(tx.context, name);
  await assertAppendable(tx, path, LOGS[name].listKey);
  const line = recordLine(record);
  tx.append(path, line, isCompleteRecordLine, { kind: 'log', file: path, id: String((record as { id?: unknown }).id), line: line.trimEnd() });
  sealIfLarge(tx, path, fileHeader(LOGS[name].comment, SCHEMA_VERSION, LOGS[name].listKey), (record as { at?: string }).at);
}

export function appendCatchRow(tx: Transaction, row: CatchRow): void {
  const path = tx.context.path(FILES.catches);
  assertAppendableRows(tx, path);
  const line = formatRow(row);
  tx.append(path, line, isCompleteRow, { kind: 'tsv', file: path, id: row.id, line: line.trimEnd() });
  sealIfLarge(tx, path, CATCH_HEADER, row.at);
}

/**
 * Never append to a log that does not read (SPEC 4.9): every line must be a header line or a
 * whole record (a torn last line is cut off by the append). A byte scan (0.5 ms per MiB,
 * against 6.6 ms for a JSON parse of every line) decides; a file a person edited into block-style
 * YAML goes through the YAML parser instead.
 */
async function assertAppendable(tx: Transaction, path: string, listKey: string): Promise<void> {
  const content = tx.read(path);
  if (!content) return;
  const bad = firstOddLine(content, (text, start, end) => end - start >= 4 && text.startsWith('- {', start) && text.charCodeAt(end - 1) === 0x7d);
  if (bad === undefined) return;
  const display = tx.context.display(path);
  const text = content.toString('utf8');
  if (!text.split('\n').some((line) => line.startsWith('- {'))) {
    await parseRecordText(text, listKey, display); // block style: the YAML parser judges
    return;
  }
  throw unreadableError(display, bad, 'this line is neither a header line nor a whole record');
}

function assertAppendableRows(tx: Transaction, path: string): void {
  const content = tx.read(path);
  if (!content) return;
  let header = true;
  const fields = CATCH_HEADER.split('\t').length;
  const bad = firstOddLine(content, (text, start, end) => {
    if (header) {
      header = false;
      return `${content.toString('utf8', start, end)}\n` === CATCH_HEADER;
    }
    let tabs = 0;
    for (let at = start; at < end; at++) if (text.charCodeAt(at) === 0x09) tabs++;
    return tabs === fields - 1;
  });
  if (bad !== undefined) throw unreadableError(tx.context.display(path), bad, bad === 1 ? 'not the catch-log header' : "a record must have the header's 7 tab-separated fields");
}

/**
 * The 1-based number of the first complete line (the torn last one aside) that is neither blank, a
 * header line, nor accepted. The bytes are read as one latin1 string (each byte one character, so
 * offsets and ASCII tests are the bytes'): a string scan costs ~0.6 ms for a 1 MiB log, where one
 * Buffer.indexOf call per line cost 4-10 ms (each call crosses into C++).
 */
function firstOddLine(content: Buffer, accept: (text: string, start: number, end: number) => boolean): number | undefined {
  const text = content.toString('latin1');
  let at = text.startsWith('\xef\xbb\xbf') ? 3 : 0;
  for (let number = 1; ; number++) {
    const newline = text.indexOf('\n', at);
    if (newline < 0) return undefined;
    const end = newline > at && text.charCodeAt(newline - 1) === 0x0d ? newline - 1 : newline;
    const first = at < end ? text.charCodeAt(at) : undefined;
    const headerLine = first === undefined || first === 0x23 || (first !== 0x2d && /^(schema:\s*\d+|[a-z_]+:( \[\])?)\s*$/.test(text.slice(at, end)));
    if (!headerLine && !accept(text, at, end)) return number;
    at = newline + 1;
  }
}

/**
 * Keep the active log small (SPEC section 9): past `archive.seal_bytes` its content becomes an
 * immutable segment under archive/ and the active file starts again from its header, in the same
 * commit. Appends and commits then cost the same at 100 or 100,000 records. Segment names sort by
 * time and carry a random part, so two branches that seal never name a segment alike; readers
 * read the segments first and take each record id once.
 */
function sealIfLarge(tx: Transaction, path: string, header: string, at: string | undefined): void {
  const limit = tx.context.config.archive.seal_bytes;
  const content = tx.read(path); // what this transaction wrote (a git command may be rewriting the file itself)
  if (limit <= 0 || !content || content.length <= limit) return;
  const file = basename(path);
  const dot = file.lastIndexOf('.');
  const stamp = (at ?? new Date().toISOString()).replace(/[-:]/g, '').replace(/\.\d+/, '');
  const segment = tx.context.path(ARCHIVE_DIR, `${file.slice(0, dot)}.${stamp}.${randomBytes(3).toString('hex')}${file.slice(dot)}`);
  mkdirSync(tx.context.path(ARCHIVE_DIR), { recursive: true });
  tx.replace(segment, content);
  tx.replace(path, header);
  tx.sealed = true;
}

export interface LogRead {
  records: Array<Located<Record<string, unknown>> & { file: string }>;
}

/** Every record of a YAML log, sealed segments first, each id once. */
export async function readLog(context: StateContext, name: LogName): Promise<LogRead> {
  const { listKey } = LOGS[name];
  const files = [...archiveSegments(context, LOGS[name].file), logPath(context, name)];
  const seen = new Set<string>();
  const records: LogRead['records'] = [];
  for (const file of files) {
    if (!existsSync(file)) continue;
    const display = context.display(file);
    const read = await readRecordFile(file, listKey, display);
    if (read.torn) context.warn(`${display}:${read.torn.line}: ignored an incomplete last record (run \`agentstate doctor --repair\`)`);
    for (const raw of read.records) {
      const record = name === 'events' ? { ...raw, value: upgradeEvent(raw.value, read.schema) } : raw;
      const id = record.value.id;
      if (typeof id === 'string') {
        if (seen.has(id)) continue;
        seen.add(id);
      }
      records.push({ ...record, file: display });
    }
  }
  // Records that two clones wrote with one --once key are read as one (core/once.ts).
  const duplicates = onceDuplicates(records.map((record) => record.value));
  if (duplicates.size) for (const record of records) if (duplicates.has(String(record.value.id))) record.value = { ...record.value, duplicate_of: duplicates.get(String(record.value.id)) };
  return { records };
}

/** The id of the record appended earlier with this `--once` key, if any: the earliest, when clones wrote several. */
export function findOnce(context: StateContext, name: LogName, key: string): string | undefined {
  const needle = Buffer.from(`"once":${toLineJson(key)}`);
  const found: Array<Record<string, unknown>> = [];
  for (const file of [...archiveSegments(context, LOGS[name].file), logPath(context, name)]) {
    if (!existsSync(file)) continue;
    const bytes = readFileSync(file);
    for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + 1)) {
      const start = bytes.lastIndexOf(0x0a, at) + 1;
      const end = bytes.indexOf(0x0a, at);
      const parsed = parseRecordLine(bytes.subarray(start, end < 0 ? bytes.length : end).toString('utf8'));
      if (parsed.kind === 'record' && parsed.value.once === key) found.push(parsed.value);
    }
  }
  const owner = onceOwners(found).get(key);
  return owner ? String(owner.id) : undefined;
}

export interface CatchRead {
  rows: Array<Located<CatchRow>>;
}

export function readCatches(context: StateContext): CatchRead {
  const rows: CatchRead['rows'] = [];
  const seen = new Set<string>();
  for (const file of [...archiveSegments(context, FILES.catches), context.path(FILES.catches)]) {
    if (!existsSync(file)) continue;
    const display = context.display(file);
    const lines = withoutBom(readFileSync(file, 'utf8')).split('\n');
    const tail = lines.pop() ?? '';
    if (lines[0] !== undefined && lines[0].replace(/\r$/, '') + '\n' !== CATCH_HEADER) {
      throw unreadableError(display, 1, `the header must be: ${CATCH_HEADER.trim().replace(/\t/g, '<TAB>')}`);
    }
    lines.slice(1).forEach((line, i) => {
      if (line === '') return;
      const row = parseRow(line);
      if (!row) throw unreadableError(display, i + 2, 'a record must have the header\'s 7 tab-separated fields');
      if (seen.has(row.id)) return;
      seen.add(row.id);
      rows.push({ value: row, line: i + 2 });
    });
    if (tail !== '') {
      context.warn(`${display}:${lines.length + 1}: ignored an incomplete last record (run \`agentstate doctor --repair\`)`);
    }
  }
  return { rows };
}

/** The id of the catch row written earlier with this `--once` key, if any: the earliest, when clones wrote several. */
export function findOnceCatch(context: StateContext, key: string): string | undefined {
  const stem = onceId('ct', key);
  const rows: Array<Record<string, unknown>> = [];
  for (const file of [...archiveSegments(context, FILES.catches), context.path(FILES.catches)]) {
    if (!existsSync(file)) continue;
    const bytes = readFileSync(file);
    for (let at = bytes.indexOf(stem); at >= 0; at = bytes.indexOf(stem, at + 1)) {
      if (at > 0 && bytes[at - 1] !== 0x0a) continue;
      const end = bytes.indexOf(0x0a, at);
      const [id, when] = bytes.subarray(at, end < 0 ? bytes.length : end).toString('utf8').split('\t');
      if (id && (id === stem || id.length === stem.length + ONCE_TAIL)) rows.push({ id, at: when, key });
    }
  }
  const owner = onceOwners(rows, (row) => row.key).get(key);
  return owner ? String(owner.id) : undefined;
}
