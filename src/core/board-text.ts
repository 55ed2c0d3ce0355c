import { visible } from './text.js';
import { cardDetail, COLUMN_TITLES, COLUMNS, type Board, type Card, type Column } from './board.js';

/**
 * The board as text that fits a width: four columns side by side where they fit, else one
 * section per column. Colours only through `paint` (plain functions when piped). Pure.
 */
export interface Paint {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
  green(text: string): string;
}

const GAP = 2;
const MIN_COLUMN = 18;
/** Wider columns only spread the cards thin: past this, the board keeps to the left. */
const MAX_COLUMN = 44;
const TITLE_LINES = 2;

export function renderBoard(board: Board, options: { width: number; now: number; paint: Paint }): string {
  const { width, paint } = options;
  const columnWidth = Math.min(MAX_COLUMN, Math.floor((width - GAP * (COLUMNS.length - 1)) / COLUMNS.length));
  return columnWidth >= MIN_COLUMN ? sideBySide(board, columnWidth, options.now, paint) : stacked(board, Math.max(20, width), options.now, paint);
}

function priority(card: Card, paint: Paint): string {
  if (card.priority === 'P0') return paint.bold(paint.red(card.priority));
  if (card.priority === 'P1') return paint.yellow(card.priority);
  if (card.priority === 'P2') return paint.cyan(card.priority);
  return paint.dim(card.priority);
}

const header = (board: Board, column: Column) => `${COLUMN_TITLES[column]} (${board[column].length + board.hidden[column]})`;

function sideBySide(board: Board, width: number, now: number, paint: Paint): string {
  const columns = COLUMNS.map((column) => {
    const lines = [paint.bold(cut(header(board, column), width)), paint.dim('─'.repeat(width))];
    for (const card of board[column]) {
      lines.push(`${priority(card, paint)} ${cut(card.id, width - 3)}`);
      lines.push(...wrap(card.title, width, TITLE_LINES));
      const detail = cardDetail(card, column, now);
      if (detail) lines.push(...wrap(detail, width, 2).map((line) => paint.dim(line)));
      lines.push('');
    }
    if (board[column].length === 0) lines.push(paint.dim('(none)'));
    if (board.hidden[column]) lines.push(paint.dim(`+${board.hidden[column]} more`));
    return lines;
  });
  const height = Math.max(...columns.map((lines) => lines.length));
  const rows: string[] = [];
  for (let row = 0; row < height; row++) {
    rows.push(
      columns
        .map((lines) => pad(lines[row] ?? '', width))
        .join(' '.repeat(GAP))
        .trimEnd(),
    );
  }
  while (rows.length && rows[rows.length - 1] === '') rows.pop();
  return rows.join('\n');
}

function stacked(board: Board, width: number, now: number, paint: Paint): string {
  const sections = COLUMNS.map((column) => {
    const lines = [paint.bold(cut(header(board, column), width))];
    for (const card of board[column]) {
      const detail = cardDetail(card, column, now);
      lines.push(`  ${priority(card, paint)} ${cut(`${card.id} ${card.title}`, width - 5)}`);
      if (detail) lines.push(paint.dim(`     ${cut(detail, width - 5)}`));
    }
    if (board[column].length === 0) lines.push(paint.dim('  (none)'));
    if (board.hidden[column]) lines.push(paint.dim(`  +${board.hidden[column]} more`));
    return lines.join('\n');
  });
  return sections.join('\n\n');
}

/** Cut to a width with an ellipsis (the text has no colour yet). */
export function cut(text: string, width: number): string {
  const flat = visible(text).replace(/\s+/g, ' ');
  return flat.length <= width ? flat : `${flat.slice(0, Math.max(0, width - 1))}…`;
}

/** Words into at most `max` lines of `width`; a word longer than a line is split; an ellipsis shows a cut. */
export function wrap(text: string, width: number, max: number): string[] {
  const all: string[] = [];
  let line = '';
  for (const word of visible(text).replace(/\s+/g, ' ').trim().split(' ')) {
    for (let rest = word; rest; ) {
      const next = line ? `${line} ${rest}` : rest;
      if (next.length <= width) {
        line = next;
        rest = '';
      } else if (line) {
        all.push(line);
        line = '';
      } else {
        all.push(rest.slice(0, width));
        rest = rest.slice(width);
      }
    }
  }
  if (line) all.push(line);
  if (all.length <= max) return all;
  const kept = all.slice(0, max);
  const last = kept[max - 1]!;
  kept[max - 1] = last.length < width ? `${last}…` : `${last.slice(0, width - 1)}…`;
  return kept;
}

// eslint-disable-next-line no-control-regex
const shownLength = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, '').length;
const pad = (text: string, width: number) => text + ' '.repeat(Math.max(0, width - shownLength(text)));
