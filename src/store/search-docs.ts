import { parseRecordLine } from '../core/line-format.js';
import { catchDoc, decisionDoc, eventDoc, taskDoc, type SearchDoc } from '../core/search-records.js';
import type { PlacedDoc } from '../core/search-index.js';
import { parseRow } from '../core/tsv.js';
import { archiveSegments } from './logs.js';
import { FILES, LOGS } from './layout.js';
import { parseRecordText } from './record-file.js';
import type { StateContext } from './context.js';

/** The state files search reads: sealed segments and active logs, the backlog. */
export type SourceType = 'events' | 'decisions' | 'backlog' | 'catches';

export interface SearchSource {
  path: string;
  display: string;
  type: SourceType;
}

export function searchSources(context: StateContext): SearchSource[] {
  const of = (type: SourceType, file: string, withSegments: boolean): SearchSource[] =>
    [...(withSegments ? archiveSegments(context, file) : []), context.path(file)].map((path) => ({ path, display: context.display(path), type }));
  return [...of('events', LOGS.events.file, true), ...of('decisions', LOGS.decisions.file, true), ...of('backlog', FILES.backlog, false), ...of('catches', FILES.catches, true)];
}

type Rec = Record<string, unknown>;

/** The searchable document of one record of a source, if it is one. */
export function docOf(type: SourceType, record: Rec): SearchDoc | undefined {
  if (type === 'events') return eventDoc(record);
  if (type === 'decisions') return decisionDoc(record);
  if (type === 'backlog') return taskDoc(record);
  return undefined;
}

/** A record of a source from its line's text. */
export function recordOfLine(type: SourceType, text: string): Rec | undefined {
  if (type === 'catches') return parseRow(text) as Rec | undefined;
  const parsed = parseRecordLine(text);
  return parsed.kind === 'record' ? parsed.value : undefined;
}

/**
 * Every record of a file with where its line is. A line that is neither a record nor the header
 * (a file a person rewrote as block YAML) sends the whole file through the YAML parser; its
 * records then have no byte position (length 0) and are found again by line.
 */
export async function placedDocs(source: SearchSource, bytes: Buffer): Promise<PlacedDoc[]> {
  const docs: PlacedDoc[] = [];
  let canonical = true;
  for (let start = 0, line = 1; start < bytes.length; line++) {
    const newline = bytes.indexOf(0x0a, start);
    const end = newline < 0 ? bytes.length : newline;
    const text = bytes.toString('utf8', start, end > start && bytes[end - 1] === 0x0d ? end - 1 : end);
    if (source.type === 'catches') {
      const row = line > 1 && newline >= 0 ? parseRow(text) : undefined;
      if (row) docs.push({ ...catchDoc(row), line, offset: start, length: end - start });
    } else {
      const parsed = parseRecordLine(text);
      const doc = parsed.kind === 'record' && (newline >= 0 || source.type === 'backlog') ? docOf(source.type, parsed.value) : undefined;
      if (doc) docs.push({ ...doc, line, offset: start, length: end - start });
      if (parsed.kind === 'other' && !/^(schema:\s*\d+|[a-z]+:( \[\])?)\s*$/.test(text) && !text.startsWith('- {')) canonical = false;
    }
    start = end + 1;
  }
  if (canonical || source.type === 'catches') return docs;
  const listKey = source.type === 'backlog' ? 'items' : source.type;
  return (await parseRecordText(bytes.toString('utf8'), listKey, source.display)).records
    .map(({ value, line }) => {
      const doc = docOf(source.type, value);
      return doc ? { ...doc, line, offset: 0, length: 0 } : undefined;
    })
    .filter((doc): doc is PlacedDoc => doc !== undefined);
}
