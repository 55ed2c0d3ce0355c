import { fstatSync, statSync, writeSync } from 'node:fs';
import { sleepSync } from './sleep.js';

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

export function outputMode(options: { json?: boolean; quiet?: boolean }): OutputMode {
  const env = process.env;
  const color = !options.json && isTerminal(1) && !env.NO_COLOR && env.TERM !== 'dumb';
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
export function terminalWidth(): number | undefined {
  return isTerminal(1) && process.stdout.columns > 0 ? process.stdout.columns : undefined;
}

/** The width to lay a board out in: the terminal's, else $COLUMNS, else 100. */
export function layoutWidth(): number {
  return terminalWidth() ?? (Number(process.env.COLUMNS) > 0 ? Number(process.env.COLUMNS) : 100);
}

export function writeOut(text: string): void {
  if (text) write(1, text.endsWith('\n') ? text : `${text}\n`);
}

export function writeErr(text: string): void {
  write(2, text.endsWith('\n') ? text : `${text}\n`);
}

const terminal: Array<boolean | undefined> = [];

/**
 * Whether stdout (1) or stderr (2) is a terminal. A pipe, a file or /dev/null is told by fstat
 * alone: only another character device loads node:tty, whose streams (node:net, node:stream) cost
 * a command ~3 ms of CPU on Node 22 that output to a pipe, a file or /dev/null does not need.
 */
export function isTerminal(fd: 1 | 2): boolean {
  terminal[fd] ??= characterDevice(fd) && (fd === 1 ? process.stdout : process.stderr).isTTY === true;
  return terminal[fd]!;
}

function characterDevice(fd: number): boolean {
  try {
    const stat = fstatSync(fd);
    return stat.isCharacterDevice() && stat.rdev !== statSync('/dev/null').rdev;
  } catch {
    return false;
  }
}

/**
 * Write text to stdout or stderr, synchronously (as Node writes to pipes and files on Linux):
 * through process.stdout on a terminal, else straight to the descriptor. A reader that went away
 * (`agentstate events | head`) ends the command quietly with its exit code, as it is no error of
 * ours; a descriptor another process made non-blocking is waited on.
 */
export function write(fd: 1 | 2, text: string): void {
  if (isTerminal(fd)) {
    (fd === 1 ? process.stdout : process.stderr).write(text);
    return;
  }
  const bytes = Buffer.from(text, 'utf8');
  for (let at = 0; at < bytes.length; ) {
    try {
      at += writeSync(fd, bytes, at);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        sleepSync(1);
        continue;
      }
      if (code === 'EPIPE' && fd === 1) process.exit(process.exitCode ?? 0);
      if (code === 'EPIPE' || code === 'EBADF') return;
      throw error;
    }
  }
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
