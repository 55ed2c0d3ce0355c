import type { CommandRun } from '../command.js';
import { LEARNING_CATEGORIES, rankLearnings } from '../core/learnings.js';
import { usageError } from '../errors.js';
import { openContext } from '../store/context.js';
import { readLearningViews } from '../store/learnings-file.js';
import { table } from '../output.js';
import { age } from './shared.js';

export interface LearningsOptions {
  tag?: string;
  kind?: string;
  grep?: string;
  all?: boolean;
}

/**
 * `agentstate learnings`: the live lessons, most relevant first (the order the briefing uses:
 * confirmed and recent ones rise). `--all` adds the retired ones, after the live ones.
 */
export const run: CommandRun<LearningsOptions> = async ({ options, globals }) => {
  if (options.kind !== undefined && !(LEARNING_CATEGORIES as readonly string[]).includes(options.kind)) {
    throw usageError(`--kind: "${options.kind}" is not one of ${LEARNING_CATEGORIES.join(', ')}`, 'e.g. agentstate learnings --kind failure');
  }
  const context = await openContext(globals);
  const views = await readLearningViews(context);
  const ordered = [...rankLearnings(views), ...(options.all ? views.filter((view) => view.status === 'retired') : [])];
  const needle = options.grep?.toLowerCase();
  const learnings = ordered
    .filter(
      (view) =>
        (!options.tag || view.tags.includes(options.tag)) &&
        (!options.kind || view.category === options.kind) &&
        (!needle || [view.text, ...view.tags, ...view.refs].some((text) => text.toLowerCase().includes(needle))),
    )
    .map((view) => ({ ...view, age: age(view.at) }));
  return {
    data: { learnings, count: learnings.length, warnings: context.warnings },
    warnings: context.warnings,
    quiet: learnings.map((view) => view.id).join('\n'),
    human: (style) =>
      learnings.length === 0
        ? 'no learnings match'
        : table(
            [
              ['ID', 'KIND', 'AGE', 'CONFIRMED', 'LESSON'],
              ...learnings.map((view) => [
                view.id,
                view.status === 'retired' ? style.dim('retired') : view.category,
                view.age,
                view.confirmations ? `${view.confirmations}×` : '-',
                `${view.text}${view.tags.length ? style.dim(` [${view.tags.join(', ')}]`) : ''}${view.refs.length ? style.dim(` (${view.refs.join(', ')})`) : ''}`,
              ]),
            ],
            style,
          ),
  };
};
