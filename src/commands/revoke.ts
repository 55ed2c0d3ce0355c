import type { CommandRun } from '../command.js';
import { decisionRecordSchema } from '../core/schemas.js';
import { usageError } from '../errors.js';
import { openContext } from '../store/context.js';
import { appendDecisionRecord } from '../store/decisions-file.js';
import { findOnce } from '../store/logs.js';
import { mutate } from '../store/mutate.js';
import { closingRecord, decisionToClose, validated } from './shared.js';

export interface RevokeOptions {
  why?: string;
  once?: string;
}

/** `agentstate revoke <id> --why …`: end a standing order. */
export const run: CommandRun<RevokeOptions> = async ({ args, options, globals }) => {
  const context = await openContext(globals);
  const [idText = ''] = args;
  const { result, commit } = await mutate(context, 'revoke', async (tx) => {
    const existing = options.once ? findOnce(context, 'decisions', options.once) : undefined;
    if (existing) return { id: existing, existing: true };
    const view = await decisionToClose(context, idText);
    const id = view.id;
    if (!view.standing) throw usageError(`${id} is not a standing order`, `record what came of it with \`agentstate outcome ${id} done|failed|abandoned\``);
    if (view.closed) throw usageError(`${id} was already revoked at ${view.closed.at}`, 'nothing was written');
    const record = validated(context, decisionRecordSchema, { ...closingRecord(context, 'revoke', id, options.once), why: options.why });
    await appendDecisionRecord(tx, record);
    tx.describe(`${id}: ${view.title}`, record.id);
    return { id: record.id, decision: id, title: view.title, existing: false };
  });
  return {
    data: { ...result, commit, warnings: context.warnings },
    quiet: result.id,
    warnings: context.warnings,
    notes: result.existing ? [`already recorded with --once ${options.once}; nothing written`] : [],
    human: () => ('decision' in result ? `${result.decision} revoked: ${result.title}` : result.id),
  };
};
