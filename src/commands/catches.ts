import type { CommandRun } from '../command.js';
import { openContext } from '../store/context.js';
import { readCatches } from '../store/logs.js';
import { cellText } from '../core/text.js';
import { table } from '../output.js';
import { query } from './shared.js';

export interface CatchesOptions {
  control?: string;
  by?: string;
  outcome?: string;
  since?: string;
  until?: string;
  grep?: string;
  limit?: string;
}

/** `agentstate catches`: query the control log, newest last. */
export const run: CommandRun<CatchesOptions> = async ({ options, globals }) => {
  const context = await openContext(globals);
  const agent = options.by;
  const rows = query(
    readCatches(context).rows.map((row) => row.value),
    options,
    { at: (row) => row.at, text: (row) => Object.values(row).join('\t') },
    (row) => (!options.control || row.control === options.control) && (!agent || row.agent === agent) && (!options.outcome || row.outcome === options.outcome),
  );
  return {
    data: { catches: rows, count: rows.length, warnings: context.warnings },
    warnings: context.warnings,
    quiet: rows.map((row) => row.id).join('\n'),
    human: (style) =>
      rows.length === 0
        ? 'no catches'
        : table(
            [
              ['AT', 'CONTROL', 'CAUGHT', 'OUTCOME', 'AGENT', 'ID'],
              ...rows.map((row) => [
                cellText(row.at.slice(0, 19).replace('T', ' ')),
                cellText(row.control),
                cellText(row.caught),
                cellText(row.outcome || '-'),
                cellText(row.agent),
                style.dim(cellText(row.id)),
              ]),
            ],
            style,
          ),
  };
};
