import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { effectiveTasks, isSettled, missingDependencies, tasksToSeal } from '../core/backlog.js';
import { fileHeader, recordLine, repeatedKeyIn } from '../core/line-format.js';
import { SCHEMA_VERSION, taskSchema, type Task } from '../core/schemas.js';
import { unreadableError } from '../errors.js';
import { ARCHIVE_DIR, FILES } from './layout.js';
import { localPath } from './local.js';
import { archiveSegments } from './logs.js';
import { parseRecordText, repeatedKeyError } from './record-file.js';
import type { StateContext } from './context.js';
import type { Transaction } from './transaction.js';

export const BACKLOG_COMMENT = 'agentstate backlog: one task per line. Change it with `agentstate backlog …`, not by hand.';
export const backlogHeader = () => fileHeader(BACKLOG_COMMENT, SCHEMA_VERSION, 'items');
export const SEGMENT_COMMENT = 'agentstate backlog archive: done and dropped tasks, sealed, never changed. `agentstate backlog list --all` shows them.';

/**
 * Done and dropped tasks are sealed into archive/backlog.<stamp>.<random>.yaml once they add up
 * to this many bytes of the active file: each write parses, rewrites, fsyncs and hashes the
 * active file only, so 5,000 tasks cost a write about what their open ones alone would
 * (bench/scale.mjs). Small, unlike a log's 256 KiB: the active backlog is rewritten on every
 * change, a log only appended to; at 64 KiB the settled tasks waiting for their seal were a
 * third of the bench's active file.
 */
export const SEAL_TASK_BYTES = 16 * 1024;

/**
 * Read backlog.yaml strictly: a task that breaks the schema or repeats a key makes the file
 * unreadable, and a command then never overwrites it (SPEC 4.9). Unknown fields are kept. Read-only views (resume,
 * the boot block) skip the per-task schema check; they still refuse a file that does not parse,
 * and `check` validates it.
 *
 * Cost that must not grow with the backlog (5,000 tasks: the schema check of every task took
 * more than the rest of a `backlog add`): a text that passed the check is remembered by its hash
 * (under the git dir, so a clone cannot forge it) and not checked again; a task this command did
 * not change is written back as the very line it was read from; and the text parsed once is
 * reused within the process (the AGENTS.md block reads the backlog again after the write).
 */
const rawLines = new WeakMap<Task, string>();
let lastRead: { path: string; text: string; tasks: Task[]; lines: number[] } | undefined;

const digestOf = (text: string) => createHash('sha1').update(text).digest('hex');
const checkedPath = (context: StateContext) => localPath(context, 'checked-backlog');

/** Tasks a command read from a sealed segment (not from the active file): written back only when changed. */
const archivedTasks = new WeakSet<Task>();

/**
 * The tasks of the active file, plus the sealed tasks they depend on that it does not hold (a
 * merge of two clones can leave such a dependency; readiness needs its status). The write
 * commands and the AGENTS.md block read this; `readAllTasks` adds the whole archive.
 */
export async function readBacklog(context: StateContext, { validate = true } = {}): Promise<Task[]> {
  const active = await readActive(context, validate);
  const missing = missingDependencies(active);
  if (missing.size === 0) return active;
  const sealed = (await readAllTasks(context, { validate: false })).filter((task) => missing.has(task.id));
  return [...active, ...sealed];
}

/** Every task, sealed ones included, each id once (the newest copy); for list, show, board, search, the web view. */
export async function readAllTasks(context: StateContext, { validate = true } = {}): Promise<Task[]> {
  const active = await readActive(context, validate);
  return effectiveTasks(await readSegments(context), active);
}

/** The sealed segments of the backlog, oldest first. */
export const backlogSegments = (context: StateContext) => archiveSegments(context, FILES.backlog);

async function readSegments(context: StateContext): Promise<Task[][]> {
  const out: Task[][] = [];
  for (const path of backlogSegments(context)) {
    const text = readFileSync(path, 'utf8');
    const { tasks } = rememberLines(parseCanonical(text) ?? (await parseAnyForm(text, context.display(path))));
    for (const task of tasks) archivedTasks.add(task);
    out.push(tasks);
  }
  return out;
}

/** Keep each task's line as read, to write it back unchanged (`lineOf`). */
function rememberLines(parsed: ParsedTasks): ParsedTasks {
  parsed.tasks.forEach((task, i) => {
    if (parsed.raws[i]) rawLines.set(task, parsed.raws[i]!);
  });
  return parsed;
}

async function readActive(context: StateContext, validate: boolean): Promise<Task[]> {
  const path = context.path(FILES.backlog);
  if (!existsSync(path)) return [];
  const display = context.display(path);
  const text = readFileSync(path, 'utf8');
  let read = lastRead?.path === path && lastRead.text === text ? lastRead : undefined;
  if (!read) {
    const parsed = rememberLines(parseCanonical(text) ?? (await parseAnyForm(text, display)));
    read = lastRead = { path, text, tasks: parsed.tasks, lines: parsed.lines };
  }
  if (validate) {
    const digest = digestOf(text);
    if (readChecked(context) !== digest) {
      const { tasks, lines } = read;
      tasks.forEach((task, i) => {
        const raw = rawLines.get(task);
        const key = raw === undefined ? undefined : repeatedKeyIn(raw, task);
        if (key !== undefined) throw repeatedKeyError(display, { line: lines[i] ?? 0, key });
        const parsed = taskSchema.safeParse(task);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          throw unreadableError(display, lines[i], `task ${String(task.id ?? '?')}: ${issue?.path.join('.') || 'task'}: ${issue?.message ?? 'invalid'}`);
        }
      });
      writeChecked(context, digest);
    }
  }
  return [...read.tasks];
}

interface ParsedTasks {
  tasks: Task[];
  /** Each task's line as read (written back as it is when the task is not changed); '' when unknown. */
  raws: string[];
  /** Each task's 1-based line number. */
  lines: number[];
}

const HEADER_LINE = /^(#.*|schema:\s*\d+\s*|items:( \[\])?\s*|)$/;

/**
 * The form agentstate writes (a header, then one task per line), in one pass: the file is read on
 * every write, and a second walk over its lines cost as much as the first. Undefined for any
 * other form (a byte-order mark, a torn or odd line), which the general reader takes.
 */
function parseCanonical(text: string): ParsedTasks | undefined {
  const crlf = text.includes('\r');
  const all = text.split('\n');
  if (all.pop() !== '') return undefined;
  const out: ParsedTasks = { tasks: [], raws: [], lines: [] };
  for (let i = 0; i < all.length; i++) {
    let line = all[i]!;
    if (crlf && line.endsWith('\r')) line = line.slice(0, -1);
    if (line.startsWith('- {')) {
      let value: unknown;
      try {
        value = JSON.parse(line.slice(2));
      } catch {
        return undefined;
      }
      if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
      out.tasks.push(value as Task);
      out.raws.push(line);
      out.lines.push(i + 1);
    } else if (!HEADER_LINE.test(line)) return undefined;
  }
  return out;
}

async function parseAnyForm(text: string, display: string): Promise<ParsedTasks> {
  const file = await parseRecordText(text, 'items', display);
  if (file.torn) throw unreadableError(display, file.torn.line, 'the last task is incomplete');
  const lines = file.slow ? [] : text.split('\n');
  return {
    tasks: file.records.map(({ value }) => value as Task),
    raws: file.records.map(({ line }) => lines[line - 1]?.replace(/\r$/, '') ?? ''),
    lines: file.records.map(({ line }) => line),
  };
}

function readChecked(context: StateContext): string | undefined {
  try {
    return readFileSync(checkedPath(context), 'utf8').trim();
  } catch {
    return undefined;
  }
}

function writeChecked(context: StateContext, digest: string): void {
  try {
    writeFileSync(checkedPath(context), `${digest}\n`);
  } catch {
    /* a cache only */
  }
}

/**
 * Rewrite the backlog; `changed` names the tasks this command changed (validated by the caller),
 * for the journal. Every other task is written back as the line it was read from; a sealed task
 * that was read only stays in its segment, a changed one, or one an unfinished task depends on,
 * comes back into the active file.
 * Settled tasks past SEAL_TASK_BYTES are sealed into a new segment in the same commit.
 */
export function writeBacklog(tx: Transaction, tasks: Task[], changed: Task[] = []): void {
  const path = tx.context.path(FILES.backlog);
  const changedIds = new Set(changed.map((task) => task.id));
  // A sealed task an unfinished one depends on comes back too: the next write then needs no segment to tell readiness.
  const sealedRead = tasks.some((task) => archivedTasks.has(task));
  const needed = sealedRead ? new Set(tasks.filter((task) => !archivedTasks.has(task) && !isSettled(task)).flatMap((task) => task.depends_on ?? [])) : undefined;
  let list = needed ? tasks.filter((task) => !archivedTasks.has(task) || changedIds.has(task.id) || needed.has(task.id)) : [...tasks];
  if (changed.some((task) => !list.includes(task))) {
    const listed = new Set(list.map((task) => task.id));
    for (const task of changed) if (!listed.has(task.id)) list.push(task);
  }
  const sealable = tasksToSeal(list, changedIds);
  let settledBytes = 0;
  for (const task of sealable) settledBytes += Buffer.byteLength(lineOf(task)) + 1;
  if (settledBytes >= SEAL_TASK_BYTES) {
    const sealed = new Set(sealable);
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
    const segment = tx.context.path(ARCHIVE_DIR, `${basename(FILES.backlog, '.yaml')}.${stamp}.${randomBytes(3).toString('hex')}.yaml`);
    mkdirSync(tx.context.path(ARCHIVE_DIR), { recursive: true });
    tx.replace(segment, fileHeader(SEGMENT_COMMENT, SCHEMA_VERSION, 'items') + sealable.map((task) => `${lineOf(task)}\n`).join(''));
    tx.sealed = true;
    list = list.filter((task) => !sealed.has(task));
  }
  let text = backlogHeader();
  for (const task of list) text += `${lineOf(task)}\n`;
  tx.replace(path, text);
  for (const task of changed) tx.records.push({ kind: 'task', file: path, id: task.id, line: recordLine(task).trimEnd(), version: task.version });
  lastRead = { path, text, tasks: list, lines: [] };
  writeChecked(tx.context, digestOf(text));
}

/** The line a task is written as: the very line it was read from, when it was read and not changed. */
const lineOf = (task: Task) => rawLines.get(task) ?? recordLine(task).trimEnd();
