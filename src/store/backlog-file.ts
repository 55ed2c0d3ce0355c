import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { fileHeader, recordLine } from '../core/line-format.js';
import { SCHEMA_VERSION, taskSchema, type Task } from '../core/schemas.js';
import { unreadableError } from '../errors.js';
import { FILES } from './layout.js';
import { localPath } from './local.js';
import { parseRecordText } from './record-file.js';
import type { StateContext } from './context.js';
import type { Transaction } from './transaction.js';

export const BACKLOG_COMMENT = 'agentstate backlog: one task per line. Change it with `agentstate backlog …`, not by hand.';
export const backlogHeader = () => fileHeader(BACKLOG_COMMENT, SCHEMA_VERSION, 'items');

/**
 * Read backlog.yaml strictly: a task that breaks the schema makes the file unreadable, and a
 * command then never overwrites it (SPEC 4.9). Unknown fields are kept. Read-only views (resume,
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
let lastRead: { path: string; text: string; tasks: Task[] } | undefined;

const digestOf = (text: string) => createHash('sha1').update(text).digest('hex');
const checkedPath = (context: StateContext) => localPath(context, 'checked-backlog');

export async function readBacklog(context: StateContext, { validate = true } = {}): Promise<Task[]> {
  const path = context.path(FILES.backlog);
  if (!existsSync(path)) return [];
  const display = context.display(path);
  const text = readFileSync(path, 'utf8');
  let tasks = lastRead?.path === path && lastRead.text === text ? lastRead.tasks : undefined;
  if (!tasks) {
    const file = await parseRecordText(text, 'items', display);
    if (file.torn) throw unreadableError(display, file.torn.line, 'the last task is incomplete');
    const lines = file.slow ? [] : text.split('\n');
    tasks = file.records.map(({ value, line }) => {
      const task = value as Task;
      const raw = lines[line - 1]?.replace(/\r$/, '');
      if (raw !== undefined) rawLines.set(task, raw);
      lineOf.set(task, line);
      return task;
    });
    lastRead = { path, text, tasks };
  }
  if (validate) {
    const digest = digestOf(text);
    if (readChecked(context) !== digest) {
      for (const task of tasks) {
        const parsed = taskSchema.safeParse(task);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          throw unreadableError(display, lineOf.get(task), `task ${String(task.id ?? '?')}: ${issue?.path.join('.') || 'task'}: ${issue?.message ?? 'invalid'}`);
        }
      }
      writeChecked(context, digest);
    }
  }
  return [...tasks];
}

const lineOf = new WeakMap<Task, number>();

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
 * for the journal. Every other task is written back as the line it was read from.
 */
export function writeBacklog(tx: Transaction, tasks: Task[], changed: Task[] = []): void {
  const path = tx.context.path(FILES.backlog);
  const text = backlogHeader() + tasks.map((task) => `${rawLines.get(task) ?? recordLine(task).trimEnd()}\n`).join('');
  tx.replace(path, text);
  for (const task of changed) tx.records.push({ kind: 'task', file: path, id: task.id, line: recordLine(task).trimEnd(), version: task.version });
  lastRead = { path, text, tasks };
  writeChecked(tx.context, digestOf(text));
}
