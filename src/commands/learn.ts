import type { CommandRun } from '../command.js';
import { newId, recordById } from '../core/ids.js';
import { LEARNING_CATEGORIES, type LearningView } from '../core/learnings.js';
import { learningRecordSchema } from '../core/schemas.js';
import { usageError } from '../errors.js';
import { openContext, type StateContext } from '../store/context.js';
import { appendLearningRecord, readLearningViews } from '../store/learnings-file.js';
import { findOnce } from '../store/logs.js';
import { mutate } from '../store/mutate.js';
import { appended, nowIso, validated } from './shared.js';

/** learn takes no --attach: a lesson is a line, its detail lives in a file of the repository. */
const OVERSIZE_HINT = 'nothing was written; a lesson is one line: shorten it, and name the file that holds the detail with --ref PATH';

export interface LearnOptions {
  kind?: string;
  tag?: string[];
  ref?: string[];
  retire?: string;
  confirm?: string;
  why?: string;
  note?: string;
  once?: string;
}

/**
 * `agentstate learn "<lesson>"`: keep something a later session should know (a convention, a
 * pattern, a failure, a tip). `--confirm <id>` counts it as still true, `--retire <id> --why`
 * ends it: both are records, nothing is ever deleted.
 */
export const run: CommandRun<LearnOptions> = async ({ args, options, globals }) => {
  const [lesson] = args;
  const modes = [lesson !== undefined, options.retire !== undefined, options.confirm !== undefined].filter(Boolean).length;
  if (modes !== 1) throw usageError('give a lesson, or --retire <id>, or --confirm <id> (exactly one)', 'e.g. agentstate learn "Run the migrations with --lock-timeout" --kind convention --tag db');
  if (options.retire !== undefined && !options.why) throw usageError('--retire needs --why: say why the lesson no longer holds', 'nothing was written');
  if (lesson === undefined && (options.kind || options.tag?.length || options.ref?.length)) {
    throw usageError('--kind, --tag and --ref describe a new lesson; they do not go with --retire or --confirm');
  }
  const context = await openContext(globals);
  return lesson !== undefined ? learn(context, lesson, options) : close(context, options);
};

async function learn(context: StateContext, text: string, options: LearnOptions) {
  const category = options.kind ?? 'tip';
  if (!(LEARNING_CATEGORIES as readonly string[]).includes(category)) {
    throw usageError(`--kind: "${category}" is not one of ${LEARNING_CATEGORIES.join(', ')}`, 'nothing was written');
  }
  const record = validated(context, learningRecordSchema, {
    id: newId('learning'),
    at: nowIso(),
    kind: 'learning',
    text,
    category,
    ...(options.tag?.length ? { tags: options.tag } : {}),
    ...(options.ref?.length ? { refs: options.ref } : {}),
    agent: context.agent(),
    ...(context.session() ? { session: context.session() } : {}),
    ...(options.once ? { once: options.once } : {}),
  }, OVERSIZE_HINT);
  const { result, commit } = await mutate(context, 'learn', async (tx) => {
    const existing = options.once ? findOnce(context, 'learnings', options.once) : undefined;
    if (existing) return { id: existing, existing: true };
    await appendLearningRecord(tx, record);
    tx.describe(text, record.id);
    return { id: record.id, existing: false };
  });
  return appended(context, result, { kind: 'learning', value: record }, commit, options.once);
}

/** --confirm or --retire: a record about an earlier learning, found by a unique id prefix. */
async function close(context: StateContext, options: LearnOptions) {
  const retire = options.retire !== undefined;
  const idText = (retire ? options.retire : options.confirm) ?? '';
  const { result, commit } = await mutate(context, retire ? 'learn --retire' : 'learn --confirm', async (tx) => {
    const existing = options.once ? findOnce(context, 'learnings', options.once) : undefined;
    if (existing) return { id: existing, existing: true };
    const view = await learningById(context, idText);
    if (view.retired) throw usageError(`${view.id} was retired at ${view.retired.at}: ${view.retired.why}`, 'nothing was written; record a new lesson if it holds again');
    const record = validated(context, learningRecordSchema, {
      id: newId('learning'),
      at: nowIso(),
      kind: retire ? 'retire' : 'confirm',
      learning: view.id,
      ...(retire ? { why: options.why } : options.note ? { note: options.note } : {}),
      agent: context.agent(),
      ...(context.session() ? { session: context.session() } : {}),
      ...(options.once ? { once: options.once } : {}),
    }, OVERSIZE_HINT);
    await appendLearningRecord(tx, record);
    tx.describe(`${view.id}: ${view.text}`, record.id);
    return { id: record.id, learning: view.id, text: view.text, confirmations: view.confirmations + (retire ? 0 : 1), existing: false };
  });
  return {
    data: { ...result, commit, warnings: context.warnings },
    quiet: result.id,
    warnings: context.warnings,
    notes: result.existing ? [`already recorded with --once ${options.once}; nothing written`] : [],
    human: () =>
      'learning' in result
        ? retire
          ? `${result.learning} retired: ${result.text}`
          : `${result.learning} confirmed (${result.confirmations}×): ${result.text}`
        : result.id,
  };
}

async function learningById(context: StateContext, idText: string): Promise<LearningView> {
  return recordById('learning', idText, await readLearningViews(context));
}
