import { readFileSync } from 'node:fs';
import { parseRecordLine, repeatedKeyIn } from '../core/line-format.js';
import { AgentstateError, Exit, unreadableError } from '../errors.js';
import { parseYamlStrict } from './yaml-safe.js';

export interface Located<T> {
  value: T;
  line: number; // 1-based line in the file (0 when unknown)
}

export interface RecordFile {
  schema: number | undefined;
  records: Array<Located<Record<string, unknown>>>;
  /** An incomplete last record, ignored (a crashed append). */
  torn?: { line: number; text: string };
  /** True when the file was not in the one-record-per-line form and went through the YAML parser. */
  slow: boolean;
  /** With `duplicates`: record lines that repeat a key (JSON.parse kept the last value). */
  repeated?: Array<{ line: number; key: string }>;
}

export interface ParseOptions {
  /** Look for record lines that repeat a key (check, and commands that rewrite the file). */
  duplicates?: boolean;
}

/** A state file as git may leave it on Windows: a byte-order mark and CRLF line ends are not content. */
export const withoutBom = (text: string) => (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** CRLF line ends made LF, as git's own conversion (core.autocrlf, eol=lf) does on `git add`. */
export function lfBytes(bytes: Buffer): Buffer {
  return bytes.indexOf(0x0d) < 0 ? bytes : Buffer.from(bytes.toString('utf8').replace(/\r\n/g, '\n'), 'utf8');
}

/**
 * The bytes without a leading UTF-8 byte-order mark and with CRLF line ends made LF; the same
 * buffer when there is neither (the common case costs one byte search). Records escape every CR
 * they hold, so a raw CR before a newline is always a line end a checkout added.
 */
export function plainBytes(bytes: Buffer): Buffer {
  const bom = bytes.subarray(0, 3).equals(BOM);
  if (!bom && bytes.indexOf(0x0d) < 0) return bytes;
  return Buffer.from(bytes.toString('utf8', bom ? 3 : 0).replace(/\r\n/g, '\n'), 'utf8');
}

const SCHEMA_LINE = /^schema:\s*(\d+)\s*$/;

/**
 * Read a YAML record file: fast line-by-line for the canonical one-record-per-line form, with a
 * strict YAML parse for a file a person edited into any other valid YAML.
 */
export async function readRecordFile(path: string, listKey: string, displayName: string, options: ParseOptions = {}): Promise<RecordFile> {
  const text = readFileSync(path, 'utf8');
  const file = await parseRecordText(text, listKey, displayName, options);
  const repeated = file.repeated?.[0];
  if (repeated) throw repeatedKeyError(displayName, repeated);
  return file;
}

/** A command never rewrites a file holding a record that JSON reads as something else than it says. */
export function repeatedKeyError(displayName: string, repeated: { line: number; key: string }): AgentstateError {
  return new AgentstateError(
    Exit.failure,
    `${displayName}:${repeated.line}: the record repeats the key "${repeated.key}" (a JSON reader keeps only the last value, silently)`,
    'the file was left as it is; edit that line so that each key appears once, then run `agentstate check`',
  );
}

export async function parseRecordText(text: string, listKey: string, displayName: string, options: ParseOptions = {}): Promise<RecordFile> {
  const plain = withoutBom(text);
  return parseFast(plain, listKey, options) ?? parseSlow(plain, listKey, displayName);
}

/** The fast path; undefined when a line is not of the canonical form. */
export function parseFast(text: string, listKey: string, options: ParseOptions = {}): RecordFile | undefined {
  const lines = text.split('\n');
  const tail = (lines.pop() ?? '').replace(/\r$/, '');
  const records: RecordFile['records'] = [];
  let repeated: RecordFile['repeated'];
  let schema: number | undefined;
  const listLine = `${listKey}:`;
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).replace(/\r$/, '');
    const parsed = parseRecordLine(line);
    if (parsed.kind === 'record') {
      records.push({ value: parsed.value, line: i + 1 });
      const key = options.duplicates ? repeatedKeyIn(line, parsed.value) : undefined;
      if (key !== undefined) (repeated ??= []).push({ line: i + 1, key });
    } else if (parsed.kind === 'other') {
      const schemaMatch = SCHEMA_LINE.exec(line);
      if (schemaMatch) schema = Number(schemaMatch[1]);
      else if (line.trimEnd() !== listLine && line.trimEnd() !== `${listLine} []`) return undefined;
    }
  }
  const result: RecordFile = { schema, records, slow: false, ...(repeated ? { repeated } : {}) };
  if (tail.trim() !== '') {
    const parsed = parseRecordLine(tail);
    if (parsed.kind === 'record') {
      records.push({ value: parsed.value, line: lines.length + 1 });
      const key = options.duplicates ? repeatedKeyIn(tail, parsed.value) : undefined;
      if (key !== undefined) (result.repeated ??= []).push({ line: lines.length + 1, key });
    } else result.torn = { line: lines.length + 1, text: tail };
  }
  return result;
}

async function parseSlow(text: string, listKey: string, displayName: string): Promise<RecordFile> {
  const parsed = await parseYamlStrict(text, displayName);
  const root = parsed.value;
  if (root === null || root === undefined) return { schema: undefined, records: [], slow: true };
  if (typeof root !== 'object' || Array.isArray(root)) throw unreadableError(displayName, 1, 'expected a mapping with schema and ' + listKey);
  const schema = (root as Record<string, unknown>).schema;
  const list = (root as Record<string, unknown>)[listKey];
  if (list !== null && list !== undefined && !Array.isArray(list)) {
    throw unreadableError(displayName, undefined, `${listKey} must be a list`);
  }
  const records: RecordFile['records'] = [];
  for (const item of parsed.items(listKey)) {
    if (!item.value || typeof item.value !== 'object' || Array.isArray(item.value)) {
      throw unreadableError(displayName, item.line, 'each record must be a mapping');
    }
    records.push({ value: item.value as Record<string, unknown>, line: item.line });
  }
  return { schema: typeof schema === 'number' ? schema : undefined, records, slow: true };
}
