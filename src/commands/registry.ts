import type { Command } from 'commander';
import type { Loader } from '../cli.js';

/**
 * Every command, its options and examples. Only this table is loaded at start-up; a command's
 * module is imported when it runs, so each command pays only for what it uses.
 */
type Action = (load: Loader) => (...args: unknown[]) => Promise<void>;

const collect = (value: string, previous: string[] = []) => [...previous, value];

function examples(command: Command, lines: string[]): Command {
  return command.addHelpText('after', `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n`);
}

export function registerCommands(program: Command, action: Action): void {
  examples(
    program
      .command('init')
      .description('create or repair the state directory, AGENTS.md block and git attributes (one commit; idempotent)')
      .action(action(() => import('./init.js'))),
    ['agentstate init', 'agentstate init --dir ../other-project'],
  );

  examples(
    program
      .command('log')
      .description('append an event to the event log; prints its id')
      .argument('<summary>', 'what happened, in one line')
      .option('--type <type>', 'a one-word type', 'note')
      .option('--ref <ref>', 'a path or URL the event is about')
      .option('--backref <ref>', 'a related file or record (repeatable)', collect)
      .option('--commit <sha>', 'the commit the event is about (default: HEAD)')
      .option('--data <key=value>', 'structured data; values parsed as JSON when they parse (repeatable)', collect)
      .option('--attach <file>', 'store a file under .agentstate/blobs/ by sha256 and link it (repeatable)', collect)
      .option('--once <key>', 'write nothing if an event with this key exists (safe re-runs)')
      .action(action(() => import('./log.js'))),
    [
      'agentstate log "Tests green after the auth refactor" --type test --ref src/auth.ts',
      'agentstate log "Build done" --data duration_s=42 --once build-$CI_RUN_ID',
    ],
  );

  examples(
    program
      .command('events')
      .description('query the event log, newest last')
      .option('--since <when>', 'ISO time or age (30m, 2h, 7d)')
      .option('--until <when>', 'ISO time or age')
      .option('--type <type>', 'only this type')
      .option('--agent <name>', 'only this agent')
      .option('--grep <text>', 'only events containing this text')
      .option('--limit <n>', 'only the last n')
      .action(action(() => import('./events.js'))),
    ['agentstate events --since 2h --type test', 'agentstate events --limit 5 --json'],
  );

  examples(
    program
      .command('catch')
      .description('record that a governance control fired and caught something (catch-log.tsv)')
      .argument('<control>', 'the control, e.g. pre-commit, review, tests')
      .argument('<caught>', 'what it caught')
      .option('--outcome <outcome>', 'what came of it, e.g. fixed, blocked, waived')
      .option('--notes <notes>', 'free text')
      .option('--once <key>', 'write nothing if a catch with this key exists')
      .action(action(() => import('./catch.js'))),
    ['agentstate catch lint "unused import in src/app.ts" --outcome fixed'],
  );

  examples(
    program
      .command('catches')
      .description('query the control log, newest last')
      .option('--control <control>', 'only this control')
      .option('--agent <name>', 'only this agent')
      .option('--outcome <outcome>', 'only this outcome')
      .option('--since <when>', 'ISO time or age (30m, 2h, 7d)')
      .option('--until <when>', 'ISO time or age')
      .option('--grep <text>', 'only rows containing this text')
      .option('--limit <n>', 'only the last n')
      .action(action(() => import('./catches.js'))),
    ['agentstate catches --control lint --since 7d'],
  );

  examples(
    program
      .command('commit')
      .description('record deferred state changes (made in a hook, during a merge, or with --no-commit) as one commit')
      .action(action(() => import('./commit.js'))),
    ['agentstate commit'],
  );
}
