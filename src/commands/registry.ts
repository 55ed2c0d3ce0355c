import { Argument, Option, type Command } from 'commander';
import type { Loader } from '../command.js';
import { loadChunk } from '../chunk.js';

/**
 * Every command, its options and examples. Only this table is loaded at start-up; a command's
 * module is imported when it runs, so each command pays only for what it uses.
 */
type Action = (load: Loader) => (...args: unknown[]) => Promise<void>;

const collect = (value: string, previous: string[] = []) => [...previous, value];

function examples(command: Command, lines: string[]): Command {
  return command.addHelpText('after', `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n`);
}

/** `--note` is the one name for free text; `--notes` still works, hidden (the CLI edge folds it into `note`). */
const notesAlias = () => new Option('--notes <text>').hideHelp();

const BY_HELP = 'only records by this agent (the global --agent says who acts; it does not filter)';

/**
 * Each top-level command's registration (its subcommands, options and examples), in help order.
 * A command line that names one registers only that one: the table is built for every command
 * run, and the whole of it costs more than the commands that run most (`log`, `state set`).
 */
const REGISTRATIONS: Array<[name: string, register: (program: Command, action: Action) => void]> = [
  [
    'init',
    (program, action) => {
      examples(
        program
          .command('init')
          .description('create or repair the state directory, AGENTS.md block and git attributes (one commit; idempotent)')
          .action(action(() => import('./init.js'))),
        ['agentstate init', 'agentstate init --dir ../other-project'],
      );
    },
  ],
  [
    'log',
    (program, action) => {
      examples(
        program
          .command('log')
          .description('append an event to the event log; prints its id')
          .argument('<summary>', 'what happened, in one line; - reads it from stdin')
          .option('--type <type>', 'a one-word type', 'note')
          .option('--ref <ref>', 'a path or URL the event is about')
          .option('--backref <ref>', 'a related file or record (repeatable)', collect)
          .option('--commit <sha>', 'the commit the event is about (default: HEAD)')
          .option('--data <key=value>', 'structured data; a value that is exactly JSON (3, true, [1,2]) is stored as JSON, anything else as typed (repeatable)', collect)
          .option('--attach <file>', 'store a file under .agentstate/blobs/ by sha256 and link it (repeatable)', collect)
          .option('--once <key>', 'write nothing if an event with this key exists (safe re-runs)')
          .action(action(() => import('./log.js'))),
        [
          'agentstate log "Tests green after the auth refactor" --type test --ref src/auth.ts',
          'agentstate log "Build done" --data duration_s=42 --once build-$CI_RUN_ID',
          'git diff --stat | agentstate log - --type diff',
        ],
      );
    },
  ],
  [
    'events',
    (program, action) => {
      examples(
        program
          .command('events')
          .description('query the event log, newest last')
          .option('--since <when>', 'ISO time or age (30m, 2h, 7d)')
          .option('--until <when>', 'ISO time or age')
          .option('--type <type>', 'only this type')
          .option('--by <name>', BY_HELP)
          .option('--grep <text>', 'only events containing this text')
          .option('--limit <n>', 'only the last n')
          .action(action(() => import('./events.js'))),
        ['agentstate events --since 2h --type test', 'agentstate events --by worker-1 --limit 5 --json'],
      );
    },
  ],
  [
    'catch',
    (program, action) => {
      examples(
        program
          .command('catch')
          .description('record that a governance control fired and caught something (catch-log.tsv)')
          .argument('<control>', 'the control, e.g. pre-commit, review, tests')
          .argument('<caught>', 'what it caught')
          .option('--outcome <outcome>', 'what came of it, e.g. fixed, blocked, waived')
          .option('--note <text>', 'free text')
          .addOption(notesAlias())
          .option('--once <key>', 'write nothing if a catch with this key exists')
          .action(action(() => import('./catch.js'))),
        ['agentstate catch lint "unused import in src/app.ts" --outcome fixed --note "removed"'],
      );
    },
  ],
  [
    'catches',
    (program, action) => {
      examples(
        program
          .command('catches')
          .description('query the control log, newest last')
          .option('--control <control>', 'only this control')
          .option('--by <name>', BY_HELP)
          .option('--outcome <outcome>', 'only this outcome')
          .option('--since <when>', 'ISO time or age (30m, 2h, 7d)')
          .option('--until <when>', 'ISO time or age')
          .option('--grep <text>', 'only rows containing this text')
          .option('--limit <n>', 'only the last n')
          .action(action(() => import('./catches.js'))),
        ['agentstate catches --control lint --since 7d', 'agentstate catches --by reviewer-bot --json'],
      );
    },
  ],
  [
    'commit',
    (program, action) => {
      examples(
        program
          .command('commit')
          .description('record deferred state changes (made in a hook, during a merge, or with --no-commit) as one commit')
          .action(action(() => import('./commit.js'))),
        ['agentstate commit'],
      );
    },
  ],
  [
    'decide',
    (program, action) => {
      examples(
        program
          .command('decide')
          .description('write a decision BEFORE acting; prints its id. Open until an outcome is recorded')
          .argument('<title>', 'what you decided to do')
          .requiredOption('--why <rationale>', 'why (required); - reads it from stdin')
          .option('--action <action>', 'the concrete next step')
          .option('--standing', 'a standing order: binds every session until revoked')
          .option('--tag <tag>', 'a tag (repeatable)', collect)
          .option(
            '--expect <kind:value>',
            'what will be true once done, checked by resume (repeatable): file:PATH, absent:PATH, commit:TEXT, branch:NAME, tag:NAME, state:KEY[=VALUE]',
            collect,
          )
          .option('--once <key>', 'write nothing if a decision with this key exists')
          .action(action(() => import('./decide.js'))),
        [
          'agentstate decide "Use optimistic locking for backlog updates" --why "conflicts are rare" --action "add --expect-version"',
          'agentstate decide "Add migration 0042" --why "sessions need a TTL" --expect file:db/0042.sql --expect commit:"migration 0042"',
          'agentstate decide "Never push to main directly" --why "CI gates releases" --standing --tag process',
          'id=$(agentstate decide "Drop the v1 API" --why - -q < rationale.md)',
        ],
      );
    },
  ],
  [
    'outcome',
    (program, action) => {
      examples(
        program
          .command('outcome')
          .description('record what came of a decision (closes it)')
          .argument('<id>', 'the decision id or a unique prefix of it')
          .addArgument(new Argument('<status>', 'how it ended').choices(['done', 'failed', 'abandoned']))
          .option('--note <text>', 'what happened')
          .addOption(notesAlias())
          .option('--once <key>', 'write nothing if an outcome with this key exists')
          .action(action(() => import('./outcome.js'))),
        ['agentstate outcome d-7f3a done --note "shipped in a1b2c3d"', 'agentstate outcome 7f3a abandoned --note "superseded by d-9k2m"'],
      );
    },
  ],
  [
    'revoke',
    (program, action) => {
      examples(
        program
          .command('revoke')
          .description('end a standing order')
          .argument('<id>', 'the standing order id or a unique prefix')
          .requiredOption('--why <reason>', 'why it no longer holds (required)')
          .option('--once <key>', 'write nothing if a revocation with this key exists')
          .action(action(() => import('./revoke.js'))),
        ['agentstate revoke d-2m8x --why "the release branch is gone"'],
      );
    },
  ],
  [
    'decisions',
    (program, action) => {
      examples(
        program
          .command('decisions')
          .description('list decisions with their current status (default: open and standing)')
          .option('--open', 'only decisions without an outcome')
          .option('--standing', 'only standing orders in force')
          .option('--all', 'every decision, closed ones included')
          .option('--tag <tag>', 'only decisions with this tag')
          .action(action(() => import('./decisions.js'))),
        ['agentstate decisions --open', 'agentstate decisions --all --json'],
      );
    },
  ],
  [
    'handoff',
    (program, action) => {
      examples(
        program
          .command('handoff')
          .description('structured end-of-session handoff; the next resume shows the latest one first')
          .option('--done <item>', 'finished this session (repeatable)', collect)
          .option('--remaining <item>', 'still to do (repeatable)', collect)
          .option('--uncertain <item>', 'not sure about (repeatable)', collect)
          .option('--note <text>', 'anything else the next session must know; - reads it from stdin')
          .addOption(notesAlias())
          .option('--once <key>', 'write nothing if a handoff with this key exists')
          .action(action(() => import('./handoff.js'))),
        ['agentstate handoff --done "auth refactor" --remaining "migrate sessions table" --uncertain "is the cache TTL right?"'],
      );
    },
  ],
  [
    'learn',
    (program, action) => {
      examples(
        program
          .command('learn')
          .description('keep a lesson for later sessions (append-only); --confirm <id> counts it as still true, --retire <id> --why ends it')
          .argument('[lesson]', 'what was learned, in one line')
          .option('--kind <kind>', 'convention, pattern, failure or tip (default tip)')
          .option('--tag <tag>', 'a tag; --focus on it brings the lesson first (repeatable)', collect)
          .option('--ref <path>', 'a file or directory the lesson is about (repeatable)', collect)
          .option('--confirm <id>', 'count a learning as re-confirmed (it rises in the briefing)')
          .option('--note <note>', 'with --confirm: where it held again')
          .option('--retire <id>', 'retire a learning that no longer holds (needs --why); it is never shown again')
          .option('--why <reason>', 'with --retire: why it no longer holds')
          .option('--once <key>', 'write nothing if a learnings record with this key exists')
          .action(action(() => import('./learn.js'))),
        [
          'agentstate learn "Run migrations with --lock-timeout 5s: the sessions table is hot" --kind convention --tag db --ref db/',
          'agentstate learn --confirm l-3k9f',
          'agentstate learn --retire l-3k9f --why "the table moved to its own cluster"',
        ],
      );
    },
  ],
  [
    'learnings',
    (program, action) => {
      examples(
        program
          .command('learnings')
          .description('list the live learnings, most relevant first (confirmed and recent ones rise)')
          .option('--tag <tag>', 'only learnings with this tag')
          .option('--kind <kind>', 'only this kind: convention, pattern, failure, tip')
          .option('--grep <text>', 'only learnings containing this text')
          .option('--all', 'retired learnings too')
          .action(action(() => import('./learnings.js'))),
        ['agentstate learnings --tag db', 'agentstate learnings --kind failure --json'],
      );
    },
  ],
  [
    'search',
    (program, action) => {
      examples(
        program
          .command('search')
          .description('ranked search (BM25) over events, decisions with their outcomes, tasks, catches, handoffs and learnings, sealed segments included')
          .argument('<query...>', 'words to look for; a word of 3+ letters also finds words it starts ("lock" finds "locking")')
          .option('--kind <kinds>', 'only these kinds, comma-separated or repeated: event, handoff, decision, task, catch, learning', collect)
          .option('--since <when>', 'only records from this time on: ISO time or age (30m, 2h, 7d)')
          .option('--by <agent>', 'only records written by this agent (a task: its owner)')
          .option('--limit <n>', 'at most n hits (default 20)')
          .action(action(() => import('./search.js'))),
        ['agentstate search redis cache', 'agentstate search "optimistic locking" --kind decision', 'agentstate search deploy --since 7d --by worker-1 --json'],
      );
    },
  ],
  [
    'backlog',
    (program, action) => {
      const backlog = examples(program.command('backlog').description('tasks: priorities, dependencies, atomic claims, versions'), [
        'agentstate backlog add "Migrate sessions table" --priority P1',
        'agentstate backlog list',
        'agentstate backlog next --claim',
        'agentstate backlog update t-3k9f --status done',
        'agentstate backlog release t-3k9f',
      ]);

      const task = (name: string) => () => import('./backlog.js').then((module) => ({ run: module[name as 'add'] }));

      examples(
        backlog
          .command('add')
          .description('add a task; prints its id')
          .argument('<title>', 'what to do')
          .option('--priority <P0-P3>', 'P0 (most urgent) to P3', 'P2')
          .option('--epic <epic>', 'the epic it belongs to')
          .option('--tag <tag>', 'a tag (repeatable)', collect)
          .option('--depends <id>', 'a task that must be done first (repeatable)', collect)
          .option('--note <text>', 'free text')
          .addOption(notesAlias())
          .option('--once <key>', 'write nothing if a task with this key exists')
          .action(action(task('add'))),
        ['agentstate backlog add "Migrate sessions table" --priority P1 --epic auth --depends t-3k9f'],
      );

      examples(
        backlog
          .command('list')
          .description('list tasks by priority, then age, with what blocks each (default: all but done and dropped)')
          .option('--status <status>', 'only this status: open, active, blocked, done, dropped')
          .option('--epic <epic>', 'only this epic')
          .option('--tag <tag>', 'only tasks with this tag (repeatable)', collect)
          .option('--all', 'done and dropped tasks too')
          .action(action(task('list'))),
        ['agentstate backlog list --status open --epic auth', 'agentstate backlog list --all --json'],
      );

      examples(
        backlog.command('show').description('show one task').argument('<id>', 'task id or unique prefix').action(action(task('show'))),
        ['agentstate backlog show t-3k9f'],
      );

      examples(
        backlog
          .command('update')
          .description('change a task; its version goes up by one')
          .argument('<id>', 'task id or unique prefix')
          .option('--title <title>', 'new title')
          .option('--status <status>', 'open, active, blocked, done or dropped')
          .option('--priority <P0-P3>', 'new priority')
          .option('--epic <epic>', 'new epic')
          .option('--tag <tag>', 'add a tag (repeatable)', collect)
          .option('--untag <tag>', 'remove a tag (repeatable)', collect)
          .option('--depends <id>', 'add a dependency (repeatable); a cycle is refused', collect)
          .option('--drop-depends <id>', 'remove a dependency (repeatable), e.g. to break a cycle a merge made', collect)
          .option('--note <text>', 'replace the notes')
          .addOption(notesAlias())
          .option('--expect-version <n>', 'write only if the task is still at version n (else exit 4)')
          .action(action(task('update'))),
        [
          'agentstate backlog update t-3k9f --status done',
          'agentstate backlog update t-3k9f --priority P0 --expect-version 3',
          'agentstate backlog update t-3k9f --untag later --drop-depends t-2m8x',
        ],
      );

      examples(
        backlog
          .command('claim')
          .description('atomically take a task as a lease (status active, owner = you, lease_until = now + backlog.lease_minutes); exit 4 if another agent holds a live lease')
          .argument('<id>', 'task id or unique prefix')
          .action(action(task('claim'))),
        ['agentstate backlog claim t-3k9f --agent worker-2'],
      );

      examples(
        backlog
          .command('release')
          .description('give a claimed task back (status open, no owner); another agent\'s claim only with --force')
          .argument('<id>', 'task id or unique prefix')
          .option('--force', 'release a task another agent holds (its owner is gone)')
          .action(action(task('release'))),
        ['agentstate backlog release t-3k9f', 'agentstate backlog release t-3k9f --force   # its owner died'],
      );

      examples(
        backlog
          .command('next')
          .description('the highest-priority open task whose dependencies are done; with --claim, exit 3 when none is ready')
          .option('--claim', 'take it in the same step (two agents never get the same task)')
          .action(action(task('next'))),
        ['agentstate backlog next', 'agentstate backlog next --claim --agent worker-1 --json'],
      );
    },
  ],
  [
    'sync',
    (program, action) => {
      examples(
        program
          .command('sync')
          .description('share the state through a git remote: fetch, merge (state files merge without conflicts), push; retried when someone pushed meanwhile')
          .option('--remote <name>', "the remote (default: the branch's upstream remote, else origin, else the only one)")
          .option('--rebase', 'rebase local commits onto the remote instead of merging')
          .action(action(() => import('./sync.js'))),
        ['agentstate sync', 'agentstate sync --remote upstream --rebase', 'agentstate sync --json   # records in and out per file, the resulting HEAD', 'AGENTSTATE_SYNC=1 agentstate log "deployed"   # sync after the write'],
      );
    },
  ],
  [
    'board',
    (program, action) => {
      examples(
        program
          .command('board')
          .description('the backlog as a board: ready, in progress (owner, lease), blocked (by what), done recently; fits the terminal')
          .option('--done-since <when>', 'show done tasks updated since: ISO time or age (default 7d)')
          .option('--limit <n>', 'at most n cards per column (default 20)')
          .option('--width <n>', 'lay out for n columns (default: the terminal width, else $COLUMNS, else 100)')
          .action(action(() => import('./board.js'))),
        ['agentstate board', 'agentstate board --done-since 1d --limit 5', 'agentstate board --json'],
      );
    },
  ],
  [
    'serve',
    (program, action) => {
      examples(
        program
          .command('serve')
          .description('a local web view: board, decisions, timeline, events, handoffs, catches chart, runtime state; 127.0.0.1 only, token in the URL')
          .option('--port <n>', 'the port to listen on (default: a free one)')
          .option('--write', 'let the page move tasks between columns (same checks and commit as `backlog update`)')
          .action(action(() => import('./serve.js'))),
        ['agentstate serve', 'agentstate serve --port 4477 --write --agent reviewer'],
      );
    },
  ],
  [
    'report',
    (program, action) => {
      examples(
        program
          .command('report')
          .description('the web view as one static HTML file (for CI artifacts); with --json alone, the same view as data')
          .option('--html <file>', 'write the page to this file')
          .action(action(() => import('./report.js'))),
        ['agentstate report --html state.html', 'agentstate report --json'],
      );
    },
  ],
  [
    'state',
    (program, action) => {
      const state = examples(program.command('state').description('runtime state: dotted keys, exact values, versioned'), [
        'agentstate state set phase=build attempts=3',
        'agentstate state get phase',
        'agentstate state unset phase',
      ]);

      const runtime = (name: string) => () => import('./state.js').then((module) => ({ run: module[name as 'get'] }));

      examples(
        state.command('get').description('print the runtime state, or one field').argument('[key]', 'dotted key, e.g. deploy.region').action(action(runtime('get'))),
        ['agentstate state get', 'agentstate state get deploy.region'],
      );

      examples(
        state
          .command('set')
          .description('set fields; a value that is exactly JSON (3, true, [1,2]) is stored as JSON, anything else as the text typed (1.10 stays "1.10")')
          .argument('<key=value...>', 'one or more assignments')
          .option('--expect-version <n>', 'write only if the state is still at version n (else exit 4)')
          .action(action(runtime('set'))),
        ['agentstate state set phase=build attempts=3 "deploy.targets=[\\"eu\\",\\"us\\"]"', 'agentstate state set phase=test --expect-version 7'],
      );

      examples(
        state
          .command('unset')
          .description('remove fields')
          .argument('<key...>', 'dotted keys')
          .option('--expect-version <n>', 'write only if the state is still at version n (else exit 4)')
          .action(action(runtime('unset'))),
        ['agentstate state unset deploy.region'],
      );
    },
  ],
  [
    'heartbeat',
    (program, action) => {
      examples(
        program
          .command('heartbeat')
          .description('mark the runtime state as alive now and renew your leases; exit 4 when you lost a claim to another clone')
          .action(action(() => import('./heartbeat.js'))),
        ['agentstate heartbeat', 'agentstate heartbeat --agent worker-1 || echo "stop: a task of mine went to another agent"'],
      );
    },
  ],
  [
    'resume',
    (program, action) => {
      examples(
        program
          .command('resume')
          .description('the boot briefing for a new session: handoff, open decisions, standing orders, state, tasks, events, warnings')
          .addOption(new Option('--format <format>', 'md, json (default: md, or json with --json), or hook (the briefing as a SessionStart hook\'s JSON answer, for Gemini CLI)').choices(['md', 'json', 'hook']))
          .option('--budget <tokens>', 'fit the briefing in this many tokens (bytes/4); what is cut is said')
          .option('--focus <text>', 'keep only items matching every word of this text, as search matches them; events ranked as search ranks them (open decisions and standing orders always stay)')
          .option('--full', 'everything, no budget')
          .option('--check', 'exit 1 on what can be acted on now: open decisions, an old heartbeat, a stale lock or AGENTS.md block, a missing path or commit held by the state, damage')
          .option('--timeout <ms>', 'stop reading after this many ms and print what there is (default: resume.timeout_ms, 2000)')
          .action(action(() => import('./resume.js'))),
        ['agentstate resume', 'claude -p "$(agentstate resume --budget 1500)"', 'agentstate resume --check || exit 1'],
      );
    },
  ],
  [
    'boot',
    (program, action) => {
      examples(
        program
          .command('boot')
          .description('regenerate the derived files: the AGENTS.md block and decisions-index.yaml')
          .option('--check', 'exit 1 if the block is stale or was edited by hand')
          .action(action(() => import('./boot.js'))),
        ['agentstate boot', 'agentstate boot --check'],
      );
    },
  ],
  [
    'setup',
    (program, action) => {
      examples(
        program
          .command('setup')
          .description('make an agent tool boot from the state (idempotent; all files or none; other settings and formatting kept)')
          .addArgument(new Argument('<agent>', 'the agent tool').choices(['claude', 'codex', 'gemini', 'cursor']))
          .option('--mcp', 'also register the MCP server (claude: .mcp.json, gemini: .gemini/settings.json, cursor: .cursor/mcp.json)')
          .option('--hooks', 'codex: write the session hook without asking the installed Codex')
          .option('--no-hooks', 'codex: no session hook, AGENTS.md only')
          .action(action(async () => loadChunk('setup'))),
        ['agentstate setup claude --mcp', 'agentstate setup codex', 'agentstate setup gemini', 'agentstate setup cursor'],
      );
    },
  ],
  [
    'mcp',
    (program, action) => {
      examples(
        program
          .command('mcp')
          .description('a Model Context Protocol server over stdio: resume, decide, outcome, log, handoff, search, backlog and state tools')
          .action(action(async () => loadChunk('mcp'))),
        ['agentstate mcp', 'claude mcp add agentstate -- agentstate mcp', 'agentstate mcp --dir ~/src/project --agent claude'],
      );
    },
  ],
  [
    'check',
    (program, action) => {
      examples(
        program
          .command('check')
          .description('validate every state file: schemas, append-only, ids, references, derived files, boot block, secrets, sizes')
          .option('--staged', 'judge what the commit being made introduces (for a pre-commit hook)')
          .option('--since <rev>', 'walk only the commits since <rev> for rewritten records (CI: --since origin/main)')
          .option('--accept <commit>', 'record that the rewrite a commit made was on purpose (with --why); check passes after it')
          .option('--why <reason>', 'why the rewrite was accepted (recorded with your name)')
          .action(action(() => import('./check.js'))),
        [
          'agentstate check',
          'agentstate check --staged   # in a pre-commit hook',
          'agentstate check --since origin/main   # in CI',
          'agentstate check --accept 3f2a9c1 --why "removed a leaked token by hand"',
        ],
      );
    },
  ],
  [
    'doctor',
    (program, action) => {
      examples(
        program
          .command('doctor')
          .description('health report: files, disk, schemas, locks, temp files, torn tails, deferred commits, git')
          .option('--repair', 'fix what can be fixed without losing a record (damaged bytes are set aside, never dropped)')
          .action(action(() => import('./doctor.js'))),
        ['agentstate doctor', 'agentstate doctor --repair'],
      );
    },
  ],
  [
    'restore',
    (program, action) => {
      examples(
        program
          .command('restore')
          .description('bring a state file back from git history, in a new commit')
          .argument('<file>', 'a state file, e.g. backlog.yaml')
          .option('--rev <rev>', 'the revision to take it from (default: the last commit where it was valid)')
          .action(action(() => import('./restore.js'))),
        ['agentstate restore backlog.yaml', 'agentstate restore runtime.json --rev HEAD~3'],
      );
    },
  ],
  [
    'migrate',
    (program, action) => {
      examples(
        program
          .command('migrate')
          .description('upgrade state files to the current schema (after committing the old state)')
          .action(action(() => import('./migrate.js'))),
        ['agentstate migrate'],
      );
    },
  ],
  [
    'hooks',
    (program, action) => {
      examples(
        program
          .command('hooks')
          .description('`hooks install`: the pre-commit check and post-merge/post-rewrite regeneration, added through husky, lefthook or the pre-commit framework when you use one (your hooks keep running), and the merge drivers')
          .argument('<action>', 'install')
          .action(action(() => import('./hooks.js'))),
        ['agentstate hooks install'],
      );
    },
  ],
  [
    'completion',
    (program, action) => {
      examples(
        program
          .command('completion')
          .description('print a shell completion script, generated from this command table')
          .addArgument(new Argument('<shell>', 'the shell').choices(['bash', 'zsh', 'fish']))
          .action(action(() => import('./completion.js'))),
        [
          'source <(agentstate completion bash)        # in ~/.bashrc',
          'agentstate completion zsh > "${fpath[1]}/_agentstate"',
          'agentstate completion fish > ~/.config/fish/completions/agentstate.fish',
        ],
      );
    },
  ],
  [
    'merge-driver',
    (program, action) => {
      program
        .command('merge-driver', { hidden: true })
        .description('run by git to merge state files (registered by init and hooks install)')
        .argument('<kind>', 'log, tsv, backlog, runtime, derived or boot')
        .argument('<base>', '%O')
        .argument('<ours>', '%A')
        .argument('<theirs>', '%B')
        .argument('[path]', '%P')
        .action(action(() => import('./merge-driver.js')));
    },
  ],
];

/** Every command, or only `only` when it names one (help, completion and unknown words get them all). */
export function registerCommands(program: Command, action: Action, only?: string): void {
  const one = only && only !== 'completion' && REGISTRATIONS.some(([name]) => name === only) ? only : undefined;
  for (const [name, register] of REGISTRATIONS) if (!one || name === one) register(program, action);
}
