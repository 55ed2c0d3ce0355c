/**
 * Human vs --json output. stdout is for results only; warnings and errors go to stderr.
 * Colors only on a TTY, never with NO_COLOR (set and not empty, as no-color.org says); chalk is loaded only when colors are on.
 */
export interface OutputMode {
  json: boolean;
  quiet: boolean;
  color: boolean;
}

export interface Style {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  green(text: string): string;
  cyan(text: string): string;
}

const plain: Style = { bold: id, dim: id, red: id, yellow: id, green: id, cyan: id };
function id(text: string): string {
  return text;
}

export function outputMode(options: { json?: boolean; quiet?: boolean }, stream: NodeJS.WriteStream = process.stdout): OutputMode {
  const env = process.env;
  const color = !options.json && stream.isTTY === true && !env.NO_COLOR && env.TERM !== 'dumb';
  return { json: options.json === true, quiet: options.quiet === true, color };
}

export async function styleFor(mode: { color: boolean }): Promise<Style> {
  if (!mode.color) return plain;
  const { Chalk } = await import('chalk');
  const chalk = new Chalk({ level: 1 });
  return {
    bold: (t) => chalk.bold(t),
    dim: (t) => chalk.dim(t),
    red: (t) => chalk.red(t),
    yellow: (t) => chalk.yellow(t),
    green: (t) => chalk.green(t),
    cyan: (t) => chalk.cyan(t),
  };
}

/** The terminal's width when stdout is one (to fit a line to it), else undefined: piped output is never cut. */
export function terminalWidth(stream: NodeJS.WriteStream = process.stdout): number | undefined {
  return stream.isTTY === true && stream.columns > 0 ? stream.columns : undefined;
}

/** The width to lay a board out in: the terminal's, else $COLUMNS, else 100. */
export function layoutWidth(): number {
  return terminalWidth() ?? (Number(process.env.COLUMNS) > 0 ? Number(process.env.COLUMNS) : 100);
}

export function writeOut(text: string): void {
  if (text) process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

export function writeErr(text: string): void {
  process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** A simple aligned table (no box drawing: it stays readable in logs and diffs). */
export function table(rows: string[][], style: Style = plain): string {
  if (rows.length === 0) return '';
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => visibleLength(row[column] ?? ''))));
  return rows
    .map((row, index) => {
      const line = row
        .map((cell, column) => (column === row.length - 1 ? cell : cell + ' '.repeat(widths[column]! - visibleLength(cell))))
        .join('  ')
        .trimEnd();
      return index === 0 ? style.bold(line) : line;
    })
    .join('\n');
}

// eslint-disable-next-line no-control-regex
export const visibleLength = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, '').length;
