import type { Command } from 'commander';
import type { GlobalOptions } from './store/context.js';
import type { Style } from './output.js';

/** What the CLI edge hands a command: its positional arguments and options. */
export interface CommandInput<O = Record<string, unknown>> {
  args: string[];
  options: O;
  globals: GlobalOptions;
  /** The commander command that runs (completion walks the whole table from it). */
  command?: Command;
}

/** What a command hands back: data for --json, and a renderer for people. */
export interface CommandOutput {
  data: Record<string, unknown>;
  human?: (style: Style) => string;
  /** What --quiet prints (ids, usually); nothing when absent. */
  quiet?: string;
  warnings?: string[];
  /** Informational lines for stderr (not with --quiet or --json). */
  notes?: string[];
  exitCode?: number;
}

export type CommandRun<O = Record<string, unknown>> = (input: CommandInput<O>) => Promise<CommandOutput>;

/** A command module, imported only when the command runs. */
export type Loader = () => Promise<{ run: CommandRun<never> }>;
