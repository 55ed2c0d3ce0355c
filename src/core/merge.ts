import { mergeClaim } from './lease.js';
import type { Task } from './schemas.js';

/**
 * Three-way merges of state files (SPEC section 8). Pure: text or records in, merged out.
 */

export interface LogLine {
  id: string;
  at: string;
  text: string; // the record line, byte for byte as it was written
}

/**
 * Append-only logs: the records both sides still hold, in the common order, then every record
 * either side added, each once (by id), ordered by time then id. A base record missing on one
 * side was sealed into an archive segment there, so it leaves the active file.
 */
export function mergeLogLines(base: LogLine[], ours: LogLine[], theirs: LogLine[]): LogLine[] {
  const inOurs = new Set(ours.map((line) => line.id));
  const inTheirs = new Set(theirs.map((line) => line.id));
  const inBase = new Set(base.map((line) => line.id));
  const kept = base.filter((line) => inOurs.has(line.id) && inTheirs.has(line.id));
  const keptIds = new Set(kept.map((line) => line.id));
  const added = new Map<string, LogLine>();
  for (const line of [...ours, ...theirs]) {
    if (keptIds.has(line.id) || added.has(line.id)) continue;
    // A base record that one side sealed and the other still holds stays sealed.
    if (inBase.has(line.id)) continue;
    added.set(line.id, line);
  }
  const sorted = [...added.values()].sort((x, y) => (x.at < y.at ? -1 : x.at > y.at ? 1 : x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  return [...kept, ...sorted];
}

type Fields = Record<string, unknown>;
const same = (x: unknown, y: unknown) => JSON.stringify(x) === JSON.stringify(y);
const BOOKKEEPING = new Set(['version', 'updated']);

/**
 * The backlog: three-way per task and per field. When both sides changed a field differently the
 * later change wins and the other value is written into the task's notes, so nothing is lost. A
 * task deleted on one side and changed on the other is kept.
 */
export function mergeTasks(base: Task[], ours: Task[], theirs: Task[]): Task[] {
  const byId = (tasks: Task[]) => new Map(tasks.map((task) => [task.id, task]));
  const [o, a, b] = [byId(base), byId(ours), byId(theirs)];
  const order = [...new Set([...ours.map((t) => t.id), ...theirs.map((t) => t.id)])];
  const merged: Task[] = [];
  for (const id of order) {
    const [original, mine, other] = [o.get(id), a.get(id), b.get(id)];
    if (mine && other) merged.push(mergeTask(original, mine, other));
    else if (mine) {
      if (!original || !same(original, mine)) merged.push(mine); // added here, or changed here and deleted there
    } else if (other) {
      if (!original || !same(original, other)) merged.push(other);
    }
  }
  return merged;
}

function mergeTask(base: Task | undefined, ours: Task, theirs: Task): Task {
  const original = (base ?? {}) as Fields;
  const mine = ours as unknown as Fields;
  const other = theirs as unknown as Fields;
  const oursLater = ours.updated >= theirs.updated;
  const result: Fields = {};
  const lost: string[] = [];
  const claim = mergeClaim(base, ours, theirs); // owner and lease: the earliest claim wins, the loser is recorded
  for (const key of new Set([...Object.keys(mine), ...Object.keys(other)])) {
    if (BOOKKEEPING.has(key)) continue;
    if (claim.decided.has(key)) {
      if (claim.fields[key] !== undefined) result[key] = claim.fields[key];
      continue;
    }
    const [o, a, b] = [original[key], mine[key], other[key]];
    let value: unknown;
    if (same(a, b)) value = a;
    else if (same(a, o)) value = b;
    else if (same(b, o)) value = a;
    else {
      value = oursLater ? a : b;
      const loser = oursLater ? b : a;
      if (key !== 'notes') lost.push(`${key} was ${JSON.stringify(loser)} on the other side`);
      else if (typeof loser === 'string' && loser) lost.push(`other notes: ${loser}`);
    }
    if (value !== undefined) result[key] = value;
  }
  for (const [key, value] of Object.entries(claim.fields)) if (!(key in result)) result[key] = value;
  if (lost.length) {
    const note = `[merge ${oursLater ? theirs.updated : ours.updated}] ${lost.join('; ')}`;
    result.notes = typeof result.notes === 'string' && result.notes ? `${result.notes}\n${note}` : note;
  }
  result.version = Math.max(ours.version, theirs.version) + 1;
  result.updated = oursLater ? ours.updated : theirs.updated;
  return result as unknown as Task;
}

export interface RuntimeDocument {
  schema: number;
  version: number;
  updated_at?: string;
  updated_by?: string;
  heartbeat_at?: string;
  fields: Fields;
  [key: string]: unknown;
}

/** runtime.json: fields merged; for the same field the side updated later wins; version = max + 1. */
export function mergeRuntime(base: RuntimeDocument | undefined, ours: RuntimeDocument, theirs: RuntimeDocument): RuntimeDocument {
  const oursLater = (ours.updated_at ?? '') >= (theirs.updated_at ?? '');
  const original = base?.fields ?? {};
  const fields: Fields = {};
  for (const key of new Set([...Object.keys(original), ...Object.keys(ours.fields), ...Object.keys(theirs.fields)])) {
    const [o, a, b] = [original[key], ours.fields[key], theirs.fields[key]];
    const value = same(a, b) ? a : same(a, o) ? b : same(b, o) ? a : oursLater ? a : b;
    if (value !== undefined) fields[key] = value;
  }
  const later = oursLater ? ours : theirs;
  const heartbeat = [ours.heartbeat_at, theirs.heartbeat_at].filter((t): t is string => typeof t === 'string').sort().pop();
  return {
    ...theirs,
    ...ours,
    version: Math.max(ours.version, theirs.version) + 1,
    ...(later.updated_at ? { updated_at: later.updated_at } : {}),
    ...(later.updated_by ? { updated_by: later.updated_by } : {}),
    ...(heartbeat ? { heartbeat_at: heartbeat } : {}),
    fields,
  };
}
