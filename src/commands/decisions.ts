import type { CommandRun } from '../command.js';
import { openContext } from '../store/context.js';
import { readDecisionViews } from '../store/decisions-file.js';
import { cellText } from '../core/text.js';
import { table } from '../output.js';
import { age } from './shared.js';

export interface DecisionsOptions {
  open?: boolean;
  standing?: boolean;
  all?: boolean;
  tag?: string;
}

/** `agentstate decisions`: the projection of the chain, each decision with its status. Default: open and standing. */
export const run: CommandRun<DecisionsOptions> = async ({ options, globals }) => {
  const context = await openContext(globals);
  const views = await readDecisionViews(context);
  const wanted = options.all
    ? () => true
    : options.open || options.standing
      ? (status: string) => (options.open === true && status === 'open') || (options.standing === true && status === 'standing')
      : (status: string) => status === 'open' || status === 'standing';
  const decisions = views
    .filter((view) => wanted(view.status) && (!options.tag || view.tags.includes(options.tag)))
    .map((view) => ({ ...view, age: age(view.at) }));
  // WHY is always the decision's rationale; what came of a closed one has its own column.
  const closedShown = decisions.some((view) => view.closed);
  return {
    data: { decisions, count: decisions.length, warnings: context.warnings },
    warnings: context.warnings,
    quiet: decisions.map((view) => view.id).join('\n'),
    human: (style) =>
      decisions.length === 0
        ? 'no decisions match'
        : table(
            [
              ['ID', 'STATUS', 'AGE', 'TITLE', 'WHY', ...(closedShown ? ['OUTCOME'] : [])],
              ...decisions.map((view) => [
                view.id,
                (view.status === 'open' ? style.yellow(view.status) : view.status) + (view.also?.length ? style.dim(` (also ${view.also.map((other) => `${other.status} by ${other.agent}`).join(', ')})`) : ''),
                view.age,
                cellText(view.title),
                style.dim(cellText(view.why)),
                ...(closedShown ? [cellText(view.closed ? (view.closed.note ?? view.closed.why ?? '-') : '')] : []),
              ]),
            ],
            style,
          ),
  };
};
