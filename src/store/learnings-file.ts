import { existsSync } from 'node:fs';
import { projectLearnings, type LearningView } from '../core/learnings.js';
import { fileHeader } from '../core/line-format.js';
import { SCHEMA_VERSION } from '../core/schemas.js';
import { LOGS } from './layout.js';
import { appendLogRecord, logPath, readLog } from './logs.js';
import type { StateContext } from './context.js';
import type { Transaction } from './transaction.js';

export const learningsHeader = () => fileHeader(LOGS.learnings.comment, SCHEMA_VERSION, LOGS.learnings.listKey);

/** Every learning with its confirmations and retirement (sealed segments included). */
export async function readLearningViews(context: StateContext): Promise<LearningView[]> {
  const { records } = await readLog(context, 'learnings');
  return projectLearnings(records.map((record) => record.value));
}

/**
 * Append a learning, confirm or retire record; the AGENTS.md block shows the top learnings, so it
 * is regenerated in the same commit (byte-identical when the top did not change). A state
 * directory made before learnings existed gets the file here.
 */
export async function appendLearningRecord(tx: Transaction, record: object): Promise<void> {
  const path = logPath(tx.context, 'learnings');
  if (!existsSync(path)) tx.replace(path, learningsHeader());
  await appendLogRecord(tx, 'learnings', record);
  tx.touchBoot();
}
