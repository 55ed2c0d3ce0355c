import { parseRecordLine } from '../core/line-format.js';
import { catchDoc, decisionDoc, eventDoc, learningDoc, taskDoc, type SearchDoc } from '../core/search-records.js';
import { IndexBuilder, type FileIndex, type SourceStamp } from '../core/search-index.js';
import { parseRow } from '../core/tsv.js';
import { archiveSegments } from './logs.js';
import { FILES, LOGS } from './layout.js';
import { parseRecordText } from './record-file.js';
import type { StateContext } from './context.js';

/** The state files search reads: sealed segments and active logs (learnings too), the backlog. */
export type SourceType = 'events' | 'decisions' | 'backlog' | 'catches' | 'learnings';

export interface SearchSource {
  path: string;
  display: string;
  type: SourceType;
}

export function searchSources(context: StateContext): SearchSource[] {
  const of = (type: SourceType, file: string, withSegments: boolean): SearchSource[] =>
    [...(withSegments ? archiveSegments(context, file) : []), context.path(file)].map((path) => ({ path, display: context.display(path), type }));
  return [...of('events', LOGS.events.file, true), ...of('decisions', LOGS.decisions.file, true), ...of('backlog', FILES.backlog, true), ...of('catches', FILES.catches, true), ...of('learnings', LOGS.learnings.file, true)];
}

type Rec = Record<string, unknown>;

/** The searchable document of one record of a source, if it is one. */
export function docOf(type: SourceType, record: Rec): SearchDoc | undefined {
  if (type === 'events') return eventDoc(record);
  if (type === 'decisions') return decisionDoc(record);
  if (type === 'backlog') return taskDoc(record);
  if (type === 'learnings') return learningDoc(record);
  return undefined;
}

/** A record of a source from its line's text. */
export function recordOfLine(type: SourceType, text: string): Rec | undefined {
  if (type === 'catches') return parseRow(text) as Rec | undefined;
  const parsed = parseRecordLine(text);
  return parsed.kind === 'record' ? parsed.value : undefined;
}

/**
 * The index of a file's bytes: every record with where its line is. `from` places bytes that
 * start further into the file (what was appended since the last index). A line that is neither a
 * record nor the header (a file a person rewrote as block YAML) sends the whole file through the
 * YAML parser instead, its records then without byte position (length 0), found again by line;
 * for appended bytes that gives undefined (index the whole file).
 */
export async function indexSource(source: SearchSource, bytes: Buffer, stat: SourceStamp, from = { offset: 0, line: 1 }): Promise<FileIndex | undefined> {
  const builder = new IndexBuilder();
  let covered = 0;
  let lines = 0;
  for (let start = 0, line = from.line; start < bytes.length; line++) {
    const newline = bytes.indexOf(0x0a, start);
    const end = newline < 0 ? bytes.length : newline;
    const text = bytes.toString('utf8', start, end > start && bytes[end - 1] === 0x0d ? end - 1 : end);
    const place = { line, offset: from.offset + start, length: end - start };
    if (source.type === 'catches') {
      const row = line > 1 && newline >= 0 ? parseRow(text) : undefined;
      if (row) builder.add({ ...catchDoc(row), ...place });
    } else {
      const parsed = parseRecordLine(text);
      const doc = parsed.kind === 'record' && (newline >= 0 || source.type === 'backlog') ? docOf(source.type, parsed.value) : undefined;
      if (doc) builder.add({ ...doc, ...place });
      if (parsed.kind === 'other' && !/^(schema:\s*\d+|[a-z]+:( \[\])?)\s*$/.test(text) && !text.startsWith('- {')) {
        return from.offset === 0 ? indexSlowly(source, bytes, stat) : undefined;
      }
    }
    if (newline >= 0) {
      covered = newline + 1;
      lines++;
    }
    start = end + 1;
  }
  return builder.finish({ ...stat, covered: from.offset + covered, lines: from.line - 1 + lines });
}

async function indexSlowly(source: SearchSource, bytes: Buffer, stat: SourceStamp): Promise<FileIndex> {
  const builder = new IndexBuilder();
  const listKey = source.type === 'backlog' ? 'items' : source.type;
  for (const { value, line } of (await parseRecordText(bytes.toString('utf8'), listKey, source.display)).records) {
    const doc = docOf(source.type, value);
    if (doc) builder.add({ ...doc, line, offset: 0, length: 0 });
  }
  return builder.finish(stat);
}
