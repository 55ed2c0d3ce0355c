import { markTaskDuplicates } from './once.js';
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

/** A line of a log that does not parse as a record (cut short, garbled): never dropped by a merge. */
export interface DamagedLine {
  /** The record id when the damage left it readable. */
  id?: string;
  text: string;
  line: number;
}

export interface LogSide {
  lines: LogLine[];
  damaged: DamagedLine[];
}

/** A side holds a damaged line that no side holds intact: the merge must be left to git (a conflict). */
export class UnmergeableLine extends Error {}

/**
 * Append-only logs, three-way, with damage: a damaged line is replaced by the intact copy of its
 * record that another side holds; a damaged line both sides hold byte for byte is kept as it is;
 * any other damaged line cannot be merged without losing it, so this throws UnmergeableLine.
 */
export function mergeLogSides(base: LogSide, ours: LogSide, theirs: LogSide): LogLine[] {
  const intact = new Map<string, LogLine>();
  for (const side of [base, ours, theirs]) for (const line of side.lines) if (!intact.has(line.id)) intact.set(line.id, line);
  const damagedTexts = (side: LogSide) => new Set(side.damaged.map((line) => line.text));
  const [inOurs, inTheirs] = [damagedTexts(ours), damagedTexts(theirs)];
  const resolve = (side: LogSide, label: string, shared: (text: string) => boolean): LogLine[] => {
    const lines = [...side.lines];
    for (const damaged of side.damaged) {
      const copy = damaged.id === undefined ? undefined : intact.get(damaged.id);
      if (copy) lines.push(copy);
      else if (shared(damaged.text)) lines.push({ id: `damaged:${damaged.text}`, at: '', text: damaged.text });
      else throw new UnmergeableLine(`line ${damaged.line} of ${label} cannot be read${damaged.id ? ` and no side holds record ${damaged.id} intact` : ''}`);
    }
    return lines;
  };
  return mergeLogLines(
    resolve(base, 'the base', () => true),
    resolve(ours, 'ours', (text) => inTheirs.has(text)),
    resolve(theirs, 'theirs', (text) => inOurs.has(text)),
  );
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
/** Task fields that are sets: both sides' additions are kept, and a removal on either side holds. */
const SETS = new Set(['tags', 'depends_on']);

function mergeSet(base: unknown, ours: unknown, theirs: unknown): unknown {
  const list = (value: unknown) => (Array.isArray(value) ? value : []);
  const [was, mine, other] = [new Set(list(base)), list(ours), list(theirs)];
  const merged = [...new Set([...mine, ...other])].filter((item) => (mine.includes(item) && other.includes(item)) || !was.has(item));
  return merged.length ? merged : undefined; // an empty set is written as no field, as the backlog commands do
}

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
    if (mine && other) merged.push(pickOrMerge(original, mine, other));
    else if (mine) {
      if (!original || !same(original, mine)) merged.push(mine); // added here, or changed here and deleted there
    } else if (other) {
      if (!original || !same(original, other)) merged.push(other);
    }
  }
  return markTaskDuplicates(merged, (owner) => `[merge] duplicate of ${owner} (added with the same --once key on another clone)`);
}

/**
 * A task the sides hold alike, or that only one side changed, is taken as it is (its line stays
 * byte for byte, its version unbumped): only a task both sides changed is merged field by field.
 */
function pickOrMerge(base: Task | undefined, ours: Task, theirs: Task): Task {
  if (same(ours, theirs)) return ours;
  if (base && same(base, ours)) return theirs;
  if (base && same(base, theirs)) return ours;
  return mergeTask(base, ours, theirs);
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
    if (SETS.has(key) && !same(a, b)) value = mergeSet(o, a, b);
    else if (same(a, b)) value = a;
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

export { mergeRuntime, type RuntimeDocument } from './merge-runtime.js';
