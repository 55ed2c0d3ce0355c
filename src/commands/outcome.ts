import type { CommandRun } from '../command.js';
import { decisionRecordSchema } from '../core/schemas.js';
import { usageError } from '../errors.js';
import { openContext } from '../store/context.js';
import { appendDecisionRecord } from '../store/decisions-file.js';
import { findOnce } from '../store/logs.js';
import { mutate } from '../store/mutate.js';
import { closingRecord, decisionToClose, validated } from './shared.js';

export interface OutcomeOptions {
  note?: string;
  once?: string;
}

/** `agentstate outcome <id> <done|failed|abandoned>`: record what came of a decision. */
export const run: CommandRun<OutcomeOptions> = async ({ args, options, globals }) => {
  const context = await openContext(globals);
  const [idText = '', status] = args;
  const { result, commit } = await mutate(context, 'outcome', async (tx) => {
    const existing = options.once ? findOnce(context, 'decisions', options.once) : undefined;
    if (existing) return { id: existing, existing: true };
    const view = await decisionToClose(context, idText);
    const id = view.id;
    if (view.standing) throw usageError(`${id} is a standing order: it has no outcome`, `end it with \`agentstate revoke ${id} --why "…"\``);
    if (view.closed) throw usageError(`${id} is already closed (${view.status} at ${view.closed.at})`, 'nothing was written; an outcome is recorded once');
    const record = validated(context, decisionRecordSchema, {
      ...closingRecord(context, 'outcome', id, options.once),
      status,
      ...(options.note ? { note: options.note } : {}),
    });
    await appendDecisionRecord(tx, record);
    tx.describe(`${id} ${status}: ${view.title}`, record.id);
    return { id: record.id, decision: id, status, title: view.title, existing: false };
  });
  return {
    data: { ...result, commit, warnings: context.warnings },
    quiet: result.id,
    warnings: context.warnings,
    notes: result.existing ? [`already recorded with --once ${options.once}; nothing written`] : [],
    human: () => ('decision' in result ? `${result.decision} ${result.status}: ${result.title}` : result.id),
  };
};
