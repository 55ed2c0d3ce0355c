import type { CommandRun } from '../command.js';
import { newId, resolveIdPrefix } from '../core/ids.js';
import { decisionRecordSchema } from '../core/schemas.js';
import { usageError } from '../errors.js';
import { openContext } from '../store/context.js';
import { appendDecisionRecord, readDecisionViews } from '../store/decisions-file.js';
import { findOnce } from '../store/logs.js';
import { mutate } from '../store/transaction.js';
import { nowIso, validated } from './shared.js';

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
    const views = await readDecisionViews(context);
    const id = resolveIdPrefix('decision', idText, views.map((view) => view.id));
    const view = views.find((candidate) => candidate.id === id)!;
    if (!view.standing) throw usageError(`${id} is not a standing order`, `record what came of it with \`agentstate outcome ${id} done|failed|abandoned\``);
    if (view.closed) throw usageError(`${id} was already revoked at ${view.closed.at}`, 'nothing was written');
    const record = validated(context, decisionRecordSchema, {
      id: newId('decision'),
      at: nowIso(),
      kind: 'revoke',
      decision: id,
      why: options.why,
      agent: context.agent(),
      ...(context.session() ? { session: context.session() } : {}),
      ...(options.once ? { once: options.once } : {}),
    });
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
