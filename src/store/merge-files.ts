import type { RuntimeClock } from '../core/merge-runtime.js';
import { mergeLogSides, mergeRuntime, mergeTasks, type DamagedLine, type LogLine, type LogSide, type RuntimeDocument } from '../core/merge.js';
import { upgradeRuntime } from '../core/migrations.js';
import { fileHeader, parseRecordLine, recordLine } from '../core/line-format.js';
import { SCHEMA_VERSION, taskSchema, type Task } from '../core/schemas.js';
import { CATCH_HEADER, parseRow } from '../core/tsv.js';
import { BACKLOG_COMMENT, backlogHeader } from './backlog-file.js';
import { declaredSchema } from '../core/skew.js';
import { parseRecordText } from './record-file.js';
import { runtimeText } from './runtime-file.js';

/** File-level merges for the merge driver: text of base, ours and theirs in, merged text out. */
export type LogKind = 'log' | 'tsv';

interface SplitLog extends LogSide {
  header: string;
}

/** The id a damaged line still shows, if the damage left it. */
const idIn = (text: string, kind: LogKind) => (kind === 'tsv' ? /^([a-z]+-[0-9a-z]+)\t/.exec(text)?.[1] : /^- \{"id":"([^"\\]+)"/.exec(text)?.[1]);

function damagedLine(text: string, index: number, kind: LogKind): DamagedLine {
  const id = idIn(text, kind);
  return { ...(id ? { id } : {}), text, line: index + 1 };
}

async function splitLog(text: string, kind: LogKind, listKey: string): Promise<SplitLog> {
  const all = text.split('\n');
  const tail = all.pop() ?? ''; // after the last newline: empty, or a torn last line
  const damaged: DamagedLine[] = tail === '' ? [] : [damagedLine(tail, all.length, kind)];
  if (kind === 'tsv') {
    const lines: LogLine[] = [];
    all.forEach((row, i) => {
      if (i === 0 || row === '') return;
      const parsed = parseRow(row);
      if (parsed) lines.push({ id: parsed.id, at: parsed.at, text: row });
      else damaged.push(damagedLine(row, i, kind));
    });
    return { header: CATCH_HEADER, lines, damaged };
  }
  const canonical = all.every((line) => line === '' || line.startsWith('#') || line.startsWith('- {') || /^[a-z]+:( \[\])?\s*$/.test(line) || /^schema:\s*\d+\s*$/.test(line));
  if (canonical) {
    const header = all.filter((line) => line !== '' && !line.startsWith('- {')).map((line) => line.replace(/: \[\]$/, ':')).join('\n') + '\n';
    const lines: LogLine[] = [];
    all.forEach((line, i) => {
      if (!line.startsWith('- {')) return;
      const parsed = parseRecordLine(line);
      if (parsed.kind === 'record' && typeof parsed.value.id === 'string') lines.push({ id: parsed.value.id, at: String(parsed.value.at ?? ''), text: line });
      else damaged.push(damagedLine(line, i, kind));
    });
    return { header, lines, damaged };
  }
  const parsed = await parseRecordText(text, listKey, listKey);
  return {
    header: `schema: ${parsed.schema ?? 1}\n${listKey}:\n`,
    lines: parsed.records.map(({ value }) => ({ id: String(value.id), at: String(value.at ?? ''), text: recordLine(value).trimEnd() })),
    damaged: [],
  };
}

/** A merge never writes a schema number lower than either side's (an older agentstate merging newer state). */
function newerHeader(ours: string, theirs: string): string {
  return (declaredSchema(theirs, 'yaml') ?? 0) > (declaredSchema(ours, 'yaml') ?? 0) ? theirs : ours;
}

/** Throws UnmergeableLine when a damaged line would be lost: the driver then leaves git's conflict. */
export async function mergeLogText(base: string, ours: string, theirs: string, kind: LogKind, listKey = 'events'): Promise<string> {
  const [o, a, b] = await Promise.all([base, ours, theirs].map((text) => splitLog(text, kind, listKey)));
  const merged = mergeLogSides(o!, a!, b!);
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

export function mergeRuntimeText(base: string, ours: string, theirs: string, clock?: RuntimeClock): string {
  const [o, a, b] = [runtimeOf(base), runtimeOf(ours), runtimeOf(theirs)];
  if (!a || !b) return ours || theirs;
  const merged = mergeRuntime(o, a, b, clock);
  return runtimeText({ ...merged, schema: Math.max(a.schema, b.schema) } as never);
}
