import type { CommandRun } from '../command.js';
import type { DecisionView } from '../core/decisions.js';
import { describeExpectation } from '../core/expectations.js';
import { openContext } from '../store/context.js';
import { readDecisionViews } from '../store/decisions-file.js';
import { attachChecks } from '../store/expectations.js';
import { cellText } from '../core/text.js';
import { table, type Style } from '../output.js';
import { age } from './shared.js';

export interface DecisionsOptions {
  open?: boolean;
  standing?: boolean;
  all?: boolean;
  tag?: string;
}

/**
 * `agentstate decisions`: the projection of the chain, each decision with its status. Default: open
 * and standing. Open decisions with expectations (`decide --expect`) are checked, with the evidence.
 */
export const run: CommandRun<DecisionsOptions> = async ({ options, globals }) => {
  const context = await openContext(globals);
  const views = await readDecisionViews(context);
  const wanted = options.all
    ? () => true
    : options.open || options.standing
      ? (status: string) => (options.open === true && status === 'open') || (options.standing === true && status === 'standing')
      : (status: string) => status === 'open' || status === 'standing';
  const shown = views.filter((view) => wanted(view.status) && (!options.tag || view.tags.includes(options.tag)));
  attachChecks(context, shown);
  const decisions = shown.map((view) => ({ ...view, age: age(view.at) }));
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
                (view.status === 'open' ? style.yellow(view.check ? `open, ${view.check.verdict.replace('-', ' ')}` : view.status) : view.status) +
                  (view.also?.length ? style.dim(` (also ${view.also.map((other) => `${other.status} by ${other.agent}`).join(', ')})`) : ''),
                view.age,
                cellText(view.title),
                style.dim(cellText(view.why)),
                ...(closedShown ? [cellText(view.closed ? (view.closed.note ?? view.closed.why ?? '-') : '')] : []),
              ]),
            ],
            style,
          ) + checkLines(decisions, style),
  };
};

/** The verdict and evidence of each checked decision, after the table. */
function checkLines(views: DecisionView[], style: Style): string {
  return views
    .filter((view) => view.check)
    .map((view) => {
      const check = view.check!;
      const results = check.results.map(
        (result) => `  ${result.met ? style.green('met    ') : style.red('not met')} ${describeExpectation(result.expect)}${style.dim(` — ${result.evidence ?? result.reason ?? ''}`)}`,
      );
      return `\n\n${view.id} ${check.verdict === 'looks-done' ? style.green(check.label) : check.label}: ${view.title}\n${results.join('\n')}`;
    })
    .join('');
}
