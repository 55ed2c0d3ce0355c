import type { CommandRun } from '../command.js';
import { newId } from '../core/ids.js';
import { catchSchema } from '../core/schemas.js';
import { openContext } from '../store/context.js';
import { appendCatchRow, findOnceCatch, onceCatchId } from '../store/logs.js';
import { mutate } from '../store/mutate.js';
import { appended, nowIso, validated } from './shared.js';

export interface CatchOptions {
  outcome?: string;
  note?: string;
  once?: string;
}

/** `agentstate catch <control> <caught>`: a governance control fired and caught something. */
export const run: CommandRun<CatchOptions> = async ({ args, options, globals }) => {
  const context = await openContext(globals);
  const [control, caught] = args;
  const row = validated(context, catchSchema, {
    // A --once catch's id starts with a part made from the key, so a lookup finds it by the key.
    id: options.once ? onceCatchId(options.once) : newId('catch'),
    at: nowIso(),
    control,
    caught,
    agent: context.agent(),
    outcome: options.outcome ?? '',
    notes: options.note ?? '',
  });
  const { result, commit } = await mutate(context, 'catch', (tx) => {
    const existing = options.once ? findOnceCatch(context, options.once) : undefined;
    if (existing) return { id: existing, existing: true };
    appendCatchRow(tx, row);
    tx.describe(`${control}: ${caught}`, row.id);
    return { id: row.id, existing: false };
  });
  return appended(context, result, { kind: 'catch', value: row }, commit, options.once);
};
