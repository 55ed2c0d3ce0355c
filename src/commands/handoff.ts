import type { CommandRun } from '../command.js';
import { newId } from '../core/ids.js';
import { eventSchema } from '../core/schemas.js';
import { usageError } from '../errors.js';
import { openContext } from '../store/context.js';
import { appendLogRecord, findOnce } from '../store/logs.js';
import { mutate } from '../store/mutate.js';
import { nowIso, textOrStdin, validated } from './shared.js';

export interface HandoffOptions {
  done?: string[];
  remaining?: string[];
  uncertain?: string[];
  note?: string;
  once?: string;
}

/** `agentstate handoff`: a structured end-of-session record; the next `resume` shows it first. */
export const run: CommandRun<HandoffOptions> = async ({ options, globals, command }) => {
  const note = textOrStdin(options.note, command !== undefined);
  const context = await openContext(globals);
  const data = { done: options.done ?? [], remaining: options.remaining ?? [], uncertain: options.uncertain ?? [] };
  if (!note?.trim() && data.done.length + data.remaining.length + data.uncertain.length === 0) {
    throw usageError('a handoff needs at least one --done, --remaining, --uncertain or --note');
  }
  const record = validated(context, eventSchema, {
    id: newId('event'),
    at: nowIso(),
    type: 'handoff',
    agent: context.agent(),
    ...(context.session() ? { session: context.session() } : {}),
    summary: note?.trim() ? note : 'handoff',
    data,
    ...(options.once ? { once: options.once } : {}),
  });
  const { result, commit } = await mutate(context, 'handoff', async (tx) => {
    const existing = options.once ? findOnce(context, 'events', options.once) : undefined;
    if (existing) return { id: existing, existing: true };
    await appendLogRecord(tx, 'events', record);
    tx.touchBoot();
    tx.recordPending = true; // commit mode with-code: a handoff records what is pending
    tx.describe(note?.trim() ? note : `${data.done.length} done, ${data.remaining.length} remaining`, record.id);
    return { id: record.id, existing: false };
  });
  return {
    data: { ...result, ...(result.existing ? {} : { handoff: record }), commit, warnings: context.warnings },
    quiet: result.id,
    warnings: context.warnings,
    human: () => result.id,
  };
};
