import type { CommandRun } from '../command.js';
import { boardOf, COLUMNS } from '../core/board.js';
import { renderBoard } from '../core/board-text.js';
import { usageError } from '../errors.js';
import { layoutWidth } from '../output.js';
import { readAllTasks } from '../store/backlog-file.js';
import { openContext } from '../store/context.js';
import { parseCount, parseWhen } from './shared.js';

export interface BoardOptions {
  doneSince?: string;
  limit?: string;
  width?: string;
}

/** `agentstate board`: the backlog as columns (ready, in progress, blocked, done recently) that fit the terminal. */
export const run: CommandRun<BoardOptions> = async ({ options, globals }) => {
  const now = Date.now();
  const doneSince = parseWhen(options.doneSince ?? '7d', '--done-since', now);
  const limit = parseCount(options.limit, '--limit') ?? 20;
  const width = parseCount(options.width, '--width');
  if (width !== undefined && width < 20) throw usageError('--width: must be at least 20 columns');
  const context = await openContext(globals);
  const board = boardOf(await readAllTasks(context, { validate: false }), { doneSince, limit });
  const counts = Object.fromEntries(COLUMNS.map((column) => [column, board[column].length + board.hidden[column]]));
  return {
    data: { columns: Object.fromEntries(COLUMNS.map((column) => [column, board[column]])), counts, warnings: context.warnings },
    warnings: context.warnings,
    quiet: COLUMNS.flatMap((column) => board[column].map((card) => card.id)).join('\n'),
    human: (style) => renderBoard(board, { width: width ?? layoutWidth(), now, paint: style }),
  };
};
