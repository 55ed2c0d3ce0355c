import { existsSync } from 'node:fs';
import { fileHeader, recordLine } from '../core/line-format.js';
import { SCHEMA_VERSION, taskSchema, type Task } from '../core/schemas.js';
import { unreadableError } from '../errors.js';
import { FILES } from './layout.js';
import { readRecordFile } from './record-file.js';
import type { StateContext } from './context.js';
import type { Transaction } from './transaction.js';

export const BACKLOG_COMMENT = 'agentstate backlog: one task per line. Change it with `agentstate backlog …`, not by hand.';
export const backlogHeader = () => fileHeader(BACKLOG_COMMENT, SCHEMA_VERSION, 'items');

/**
 * Read backlog.yaml strictly: a task that breaks the schema makes the file unreadable, and a
 * command then never overwrites it (SPEC 4.9). Unknown fields are kept. Read-only views (resume,
 * the boot block) skip the per-task schema check, which costs more than the rest of the read on
 * a large backlog; they still refuse a file that does not parse, and `check` validates it.
 */
export async function readBacklog(context: StateContext, { validate = true } = {}): Promise<Task[]> {
  const path = context.path(FILES.backlog);
  if (!existsSync(path)) return [];
  const display = context.display(path);
  const file = await readRecordFile(path, 'items', display);
  if (file.torn) throw unreadableError(display, file.torn.line, 'the last task is incomplete');
  if (!validate) return file.records.map(({ value }) => value as Task);
  return file.records.map(({ value, line }) => {
    const parsed = taskSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw unreadableError(display, line, `task ${String(value.id ?? '?')}: ${issue?.path.join('.') || 'task'}: ${issue?.message ?? 'invalid'}`);
    }
    return parsed.data;
  });
}

/** Rewrite the backlog; `changed` names the tasks this command changed, for the journal. */
export function writeBacklog(tx: Transaction, tasks: Task[], changed: Task[] = []): void {
  const path = tx.context.path(FILES.backlog);
  tx.replace(path, backlogHeader() + tasks.map((task) => recordLine(task)).join(''));
  for (const task of changed) tx.records.push({ kind: 'task', file: path, id: task.id, line: recordLine(task).trimEnd(), version: task.version });
}
