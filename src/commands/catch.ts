import type { CommandRun } from '../command.js';
import { newId } from '../core/ids.js';
import { catchSchema } from '../core/schemas.js';
import { openContext } from '../store/context.js';
import { appendCatchRow, catchExists, onceId } from '../store/logs.js';
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
    // A --once catch gets its id from the key, so the same key always names the same row.
    id: options.once ? onceId('ct', options.once) : newId('catch'),
    at: nowIso(),
    control,
    caught,
    agent: context.agent(),
    outcome: options.outcome ?? '',
    notes: options.note ?? '',
  });
  const { result, commit } = await mutate(context, 'catch', (tx) => {
    if (options.once && catchExists(context, row.id)) return { id: row.id, existing: true };
    appendCatchRow(tx, row);
    tx.describe(`${control}: ${caught}`, row.id);
    return { id: row.id, existing: false };
  });
  return appended(context, result, { kind: 'catch', value: row }, commit, options.once);
};
