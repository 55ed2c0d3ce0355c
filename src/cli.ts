import { Command, CommanderError, Option } from 'commander';
import type { CommandOutput, CommandRun, Loader } from './command.js';
import { AgentstateError, Exit } from './errors.js';
import { outputMode, styleFor, writeErr, writeOut, type OutputMode } from './output.js';
import type { GlobalOptions } from './store/context.js';
import { registerCommands } from './commands/registry.js';
import { packageVersion } from './package-root.js';

/**
 * The CLI edge: builds the commander program, and is the ONE place that turns results into
 * output and errors into exit codes. Each command module is imported only when it runs.
 */
export function buildProgram(): Command {
  const program = new Command('agentstate')
    .description('Durable, git-recorded memory for AI coding agents: write state to a file before you act.')
    .version(packageVersion(), '-V, --version')
    .addOption(new Option('--dir <path>', 'project directory holding .agentstate/ (default: the git work tree; env AGENTSTATE_DIR)'))
    .option('--json', 'machine output: exactly one JSON document on stdout')
    .option('-q, --quiet', 'print only ids and essential results')
    .option('--agent <name>', 'who is acting (default: AGENTSTATE_AGENT, git user.name, $USER)')
    .option('--no-commit', 'write the files but do not record a git commit')
    .option('--allow-secret', 'write text that looks like a secret (API key, token, password)')
    .showHelpAfterError('(add --help for usage)')
    .configureHelp({ sortSubcommands: false, showGlobalOptions: true })
    .exitOverride();
  registerCommands(program, action);
  return program;
}

/** Wrap a lazily loaded command as a commander action. */
export function action(load: Loader) {
  return async (...received: unknown[]) => {
    const command = received[received.length - 1] as Command;
    const options = received[received.length - 2] as Record<string, unknown>;
    const args = received.slice(0, -2).flatMap((arg) => (Array.isArray(arg) ? arg : arg === undefined ? [] : [String(arg)]));
    const globals = globalOptions(command);
    const mode = outputMode(globals);
    globals.notify = (line) => {
      if (!mode.json && !mode.quiet) writeErr(`agentstate: ${line}`);
    };
    try {
      const module = await load();
      const output = await (module.run as CommandRun)({ args, options, globals });
      await emit(mode, output);
      process.exitCode = output.exitCode ?? Exit.ok;
    } catch (error) {
      report(mode, error);
    }
  };
}

/** The program-level options only: a command's own option of the same name (log --commit) never shadows them. */
function globalOptions(command: Command): GlobalOptions {
  let globals: Record<string, unknown> = {};
  for (let parent = command.parent; parent; parent = parent.parent) globals = { ...parent.opts(), ...globals };
  return globals as GlobalOptions;
}

async function emit(mode: OutputMode, output: CommandOutput): Promise<void> {
  for (const warning of new Set(output.warnings ?? [])) writeErr(`agentstate: warning: ${warning}`);
  if (mode.json) {
    writeOut(JSON.stringify(output.data, null, 2));
    return;
  }
  if (mode.quiet) {
    if (output.quiet) writeOut(output.quiet);
    return;
  }
  for (const note of output.notes ?? []) writeErr(`agentstate: ${note}`);
  if (output.human) writeOut(output.human(await styleFor(mode)));
}

function report(mode: OutputMode, error: unknown): void {
  if (error instanceof AgentstateError) {
    writeErr(`agentstate: ${error.message}${error.hint ? `\n  hint: ${error.hint}` : ''}`);
    if (mode.json) writeOut(JSON.stringify({ error: { code: error.exitCode, message: error.message, hint: error.hint ?? null } }, null, 2));
    if (process.env.AGENTSTATE_DEBUG === '1') writeErr(String(error.stack));
    process.exitCode = error.exitCode;
    return;
  }
  const message = error instanceof Error ? error.message : String(error);
  writeErr(`agentstate: unexpected error: ${message}`);
  writeErr(
    process.env.AGENTSTATE_DEBUG === '1' && error instanceof Error
      ? String(error.stack)
      : '  this is a bug; rerun with AGENTSTATE_DEBUG=1 for a stack trace and please report it',
  );
  if (mode.json) writeOut(JSON.stringify({ error: { code: Exit.failure, message, hint: null } }, null, 2));
  process.exitCode = Exit.failure;
}

export async function main(argv: string[]): Promise<void> {
  // `agentstate events | head`: the reader went away; that is not an error of ours.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? Exit.ok);
    throw error;
  });
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      const helpShown = ['commander.helpDisplayed', 'commander.help', 'commander.version'].includes(error.code);
      process.exitCode = helpShown ? Exit.ok : Exit.usage;
      return;
    }
    report(outputMode({}), error);
  }
}
