import { mergeLogLines, mergeRuntime, mergeTasks, type LogLine, type RuntimeDocument } from '../core/merge.js';
import { upgradeRuntime } from '../core/migrations.js';
import { fileHeader, recordLine } from '../core/line-format.js';
import { SCHEMA_VERSION, taskSchema, type Task } from '../core/schemas.js';
import { CATCH_HEADER } from '../core/tsv.js';
import { BACKLOG_COMMENT, backlogHeader } from './backlog-file.js';
import { declaredSchema } from '../core/skew.js';
import { parseRecordText } from './record-file.js';
import { runtimeText } from './runtime-file.js';

/** File-level merges for the merge driver: text of base, ours and theirs in, merged text out. */
export type LogKind = 'log' | 'tsv';

interface SplitLog {
  header: string;
  lines: LogLine[];
}

async function splitLog(text: string, kind: LogKind, listKey: string): Promise<SplitLog> {
  const all = text.split('\n');
  if (kind === 'tsv') {
    const rows = all.slice(1).filter((line) => line !== '');
    return { header: CATCH_HEADER, lines: rows.map((row) => ({ id: row.split('\t')[0] ?? '', at: row.split('\t')[1] ?? '', text: row })) };
  }
  const canonical = all.every((line) => line === '' || line.startsWith('#') || line.startsWith('- {') || /^[a-z]+:( \[\])?\s*$/.test(line) || /^schema:\s*\d+\s*$/.test(line));
  if (canonical) {
    const header = all.filter((line) => line !== '' && !line.startsWith('- {')).map((line) => line.replace(/: \[\]$/, ':')).join('\n') + '\n';
    const lines = all
      .filter((line) => line.startsWith('- {'))
      .flatMap((line) => {
        try {
          const record = JSON.parse(line.slice(2)) as Record<string, unknown>;
          return [{ id: String(record.id), at: String(record.at ?? ''), text: line }];
        } catch {
          return []; // a torn last line: not a record
        }
      });
    return { header, lines };
  }
  const parsed = await parseRecordText(text, listKey, listKey);
  return {
    header: `schema: ${parsed.schema ?? 1}\n${listKey}:\n`,
    lines: parsed.records.map(({ value }) => ({ id: String(value.id), at: String(value.at ?? ''), text: recordLine(value).trimEnd() })),
  };
}

/** A merge never writes a schema number lower than either side's (an older agentstate merging newer state). */
function newerHeader(ours: string, theirs: string): string {
  return (declaredSchema(theirs, 'yaml') ?? 0) > (declaredSchema(ours, 'yaml') ?? 0) ? theirs : ours;
}

export async function mergeLogText(base: string, ours: string, theirs: string, kind: LogKind, listKey = 'events'): Promise<string> {
  const [o, a, b] = await Promise.all([base, ours, theirs].map((text) => splitLog(text, kind, listKey)));
  const merged = mergeLogLines(o!.lines, a!.lines, b!.lines);
  return newerHeader(a!.header, b!.header) + merged.map((line) => `${line.text}\n`).join('');
}

async function tasksOf(text: string): Promise<Task[]> {
  if (text.trim() === '') return [];
  const parsed = await parseRecordText(text, 'items', 'backlog.yaml');
  return parsed.records.map(({ value }) => taskSchema.parse(value));
}

export async function mergeBacklogText(base: string, ours: string, theirs: string): Promise<string> {
  const [o, a, b] = await Promise.all([base, ours, theirs].map(tasksOf));
  const schema = Math.max(SCHEMA_VERSION, declaredSchema(ours, 'yaml') ?? 0, declaredSchema(theirs, 'yaml') ?? 0);
  const header = schema > SCHEMA_VERSION ? fileHeader(BACKLOG_COMMENT, schema, 'items') : backlogHeader();
  return header + mergeTasks(o!, a!, b!).map((task) => recordLine(task)).join('');
}

const runtimeOf = (text: string): RuntimeDocument | undefined =>
  text.trim() === '' ? undefined : (upgradeRuntime(JSON.parse(text) as Record<string, unknown>) as RuntimeDocument);

export function mergeRuntimeText(base: string, ours: string, theirs: string): string {
  const [o, a, b] = [runtimeOf(base), runtimeOf(ours), runtimeOf(theirs)];
  if (!a || !b) return ours || theirs;
  const merged = mergeRuntime(o, a, b);
  return runtimeText({ ...merged, schema: Math.max(a.schema, b.schema) } as never);
}
