import { readFileSync } from 'node:fs';
import { parseRecordLine } from '../core/line-format.js';
import { unreadableError } from '../errors.js';
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
}

const SCHEMA_LINE = /^schema:\s*(\d+)\s*$/;

/**
 * Read a YAML record file: fast line-by-line for the canonical one-record-per-line form, with a
 * strict YAML parse for a file a person edited into any other valid YAML.
 */
export async function readRecordFile(path: string, listKey: string, displayName: string): Promise<RecordFile> {
  const text = readFileSync(path, 'utf8');
  return parseRecordText(text, listKey, displayName);
}

export async function parseRecordText(text: string, listKey: string, displayName: string): Promise<RecordFile> {
  return parseFast(text, listKey) ?? parseSlow(text, listKey, displayName);
}

/** The fast path; undefined when a line is not of the canonical form. */
export function parseFast(text: string, listKey: string): RecordFile | undefined {
  const lines = text.split('\n');
  const tail = lines.pop() ?? '';
  const records: RecordFile['records'] = [];
  let schema: number | undefined;
  const listLine = `${listKey}:`;
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).replace(/\r$/, '');
    const parsed = parseRecordLine(line);
    if (parsed.kind === 'record') {
      records.push({ value: parsed.value, line: i + 1 });
    } else if (parsed.kind === 'other') {
      const schemaMatch = SCHEMA_LINE.exec(line);
      if (schemaMatch) schema = Number(schemaMatch[1]);
      else if (line.trimEnd() !== listLine && line.trimEnd() !== `${listLine} []`) return undefined;
    }
  }
  const result: RecordFile = { schema, records, slow: false };
  if (tail.trim() !== '') {
    const parsed = parseRecordLine(tail);
    if (parsed.kind === 'record') records.push({ value: parsed.value, line: lines.length + 1 });
    else result.torn = { line: lines.length + 1, text: tail };
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
