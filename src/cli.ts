import { Command, CommanderError, Option } from 'commander';
import type { CommandOutput, CommandRun, Loader } from './command.js';
import { redactSecrets, secretsOf } from './core/guards.js';
import { jsonText, visible } from './core/text.js';
import { AgentstateError, errnoError, Exit } from './errors.js';
import { isTerminal, outputMode, styleFor, write, writeErr, writeOut, type OutputMode } from './output.js';
import type { GlobalOptions } from './store/context.js';
import { registerCommands } from './commands/registry.js';
import { packageVersion } from './package-root.js';

/**
 * The CLI edge: builds the commander program, and is the ONE place that turns results into
 * output and errors into exit codes. Each command module is imported only when it runs.
 */
export function buildProgram(commandWord?: string): Command {
  const program = new Command('agentstate')
    .description('Durable, git-recorded memory for AI coding agents: write state to a file before you act.')
    .version(packageVersion(), '-V, --version')
    .addOption(new Option('--dir <path>', 'project directory holding .agentstate/ (default: the git work tree; env AGENTSTATE_DIR)'))
    .option('--json', 'machine output: exactly one JSON document on stdout')
    .option('-q, --quiet', 'print only ids and essential results')
    .option('--agent <name>', 'who is acting (default: AGENTSTATE_AGENT, git user.name, $USER); to filter records by agent use --by')
    .option('--no-commit', 'write the files but do not record a git commit')
    .option('--allow-secret', 'write text that looks like a secret (API key, token, password)')
    .configureHelp({ sortSubcommands: false, showGlobalOptions: true })
    .addHelpText('after', `\nExamples:\n${TOP_EXAMPLES.map((line) => `  $ ${line}`).join('\n')}\n`)
    // Before the commands are added: they inherit it, so every commander message passes here.
    .configureOutput(commanderOutput)
    .exitOverride();
  registerCommands(program, action, commandWord);
  return program;
}

const TOP_EXAMPLES = [
  'agentstate init',
  'agentstate decide "Migrate users to the new schema" --why "the old one cannot hold SSO ids"',
  'agentstate log "Migration ran on staging" --ref db/0042.sql',
  'agentstate resume                      # where the work stands, for a new session',
  'agentstate help backlog add            # help of one command',
];

/** The last message commander wanted to print as an error; the edge reports it like ours. */
let commanderMessage: string | undefined;

/**
 * Everything commander prints goes through here. Its errors (unknown command or option, missing
 * argument, a value outside the choices) are not printed but kept, and `main` reports them as a
 * usage error: one `agentstate:` line, or one JSON document under --json.
 */
export const commanderOutput = {
  writeOut: (text: string) => write(1, text),
  writeErr: (text: string) => write(2, text),
  outputError: (text: string) => {
    commanderMessage = text.trim().replace(/^error: /, '').replace(/\s*\n\s*/g, ' ');
  },
};

/** Wrap a lazily loaded command as a commander action. */
export function action(load: Loader) {
  return async (...received: unknown[]) => {
    const command = received[received.length - 1] as Command;
    const options = foldAliases(received[received.length - 2] as Record<string, unknown>);
    const args = received.slice(0, -2).flatMap((arg) => (Array.isArray(arg) ? arg : arg === undefined ? [] : [String(arg)]));
    const globals = globalOptions(command);
    const mode = outputMode(globals);
    globals.notify = (line) => {
      if (!mode.json && !mode.quiet) writeErr(`agentstate: ${line}`);
    };
    try {
      const module = await load();
      const output = await (module.run as CommandRun)({ args, options, globals, command });
      await emit(mode, output);
      process.exitCode = output.exitCode ?? Exit.ok;
    } catch (error) {
      report(mode, error);
    }
  };
}

/** `--notes` is the hidden old name of `--note`. */
function foldAliases(options: Record<string, unknown>): Record<string, unknown> {
  if (!('notes' in options)) return options;
  const { notes, ...rest } = options;
  return { ...rest, note: rest.note ?? notes };
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
    writeOut(jsonText(output.data, 2));
    return;
  }
  if (mode.quiet) {
    // Exact when piped (scripts read it); on a terminal nothing in it may act on the screen, as `ls` does.
    if (output.quiet) writeOut(isTerminal(1) ? visible(output.quiet) : output.quiet);
    return;
  }
  for (const note of output.notes ?? []) writeErr(`agentstate: ${note}`);
  if (output.human) writeOut(output.human(await styleFor(mode)));
}

/**
 * Error text goes through the secret scanner before it is shown: a value that the scanner would
 * refuse to write (a PEM passed where an option was expected, a token in a bad `key=value`) must
 * not reach a terminal or a CI log through an error message either. Commander's messages come
 * here too (see `main`).
 */
export function scrubSecrets(text: string): string {
  argumentSecrets ??= secretsOf(process.argv.slice(2));
  return redactSecrets(text, argumentSecrets);
}
let argumentSecrets: Array<[string, string]> | undefined;

function scrubbed<T>(error: T): T {
  if (!(error instanceof Error)) return (typeof error === 'string' ? scrubSecrets(error) : error) as T;
  error.message = scrubSecrets(error.message);
  if (error instanceof AgentstateError && error.hint) Object.defineProperty(error, 'hint', { value: scrubSecrets(error.hint) });
  return error;
}

function report(mode: OutputMode, raw: unknown): void {
  const error = scrubbed(raw);
  const expected = error instanceof AgentstateError ? error : scrubbed(errnoError(error));
  if (expected) {
    writeErr(`agentstate: ${expected.message}${expected.hint ? `\n  hint: ${expected.hint}` : ''}`);
    if (mode.json) writeOut(jsonText({ error: { code: expected.exitCode, message: expected.message, hint: expected.hint ?? null } }, 2));
    if (process.env.AGENTSTATE_DEBUG === '1') writeErr(String((error as Error).stack));
    process.exitCode = expected.exitCode;
    return;
  }
  const message = error instanceof Error ? error.message : scrubSecrets(String(error));
  writeErr(`agentstate: unexpected error: ${message}`);
  writeErr(
    process.env.AGENTSTATE_DEBUG === '1' && error instanceof Error
      ? String(error.stack)
      : '  this is a bug; rerun with AGENTSTATE_DEBUG=1 for a stack trace and please report it',
  );
  if (mode.json) writeOut(jsonText({ error: { code: Exit.failure, message, hint: null } }, 2));
  process.exitCode = Exit.failure;
}

/** Where the command word is: after the global options (--dir and --agent take a value). */
function commandWordAt(argv: string[]): number {
  let at = 2;
  while (at < argv.length && argv[at]!.startsWith('-')) at += argv[at] === '--dir' || argv[at] === '--agent' ? 2 : 1;
  return at;
}

/** `agentstate help backlog add` is `agentstate backlog add --help`. */
function helpArgs(argv: string[]): string[] {
  const at = commandWordAt(argv);
  if (argv[at] !== 'help' || at === argv.length - 1) return argv;
  return [...argv.slice(0, at), ...argv.slice(at + 1), '--help'];
}

/** The command words of the line (`backlog add`), for a hint that names the right help. */
function commandPath(program: Command, args: string[]): string {
  const path: string[] = [];
  let current = program;
  for (const arg of args) {
    const next = current.commands.find((command) => command.name() === arg);
    if (!next) continue;
    path.push(arg);
    current = next;
  }
  return path.join(' ');
}

export async function main(argv: string[]): Promise<void> {
  const args = helpArgs(argv);
  const globals = args.slice(2, commandWordAt(args));
  if (globals.includes('--json') && (globals.includes('--version') || globals.includes('-V'))) {
    writeOut(JSON.stringify({ version: packageVersion() }, null, 2));
    return;
  }
  const program = buildProgram(args[commandWordAt(args)]);
  try {
    await program.parseAsync(args);
  } catch (error) {
    if (error instanceof CommanderError) {
      const helpShown = ['commander.helpDisplayed', 'commander.help', 'commander.version'].includes(error.code);
      if (helpShown) {
        process.exitCode = Exit.ok;
        return;
      }
      const words = args.slice(2, args.includes('--') ? args.indexOf('--') : undefined);
      const path = commandPath(program, words);
      const usage = new AgentstateError(Exit.usage, commanderMessage ?? error.message.replace(/^error: /, ''), `see \`agentstate ${path ? `${path} ` : ''}--help\``);
      report(outputMode({ json: words.includes('--json') }), usage);
      return;
    }
    report(outputMode({}), error);
  }
}
