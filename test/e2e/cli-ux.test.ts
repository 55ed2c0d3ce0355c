import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { onTerminal } from '../helpers/terminal.js';
import { BIN, baseEnv, cli, commitCount, git, json, read, stateRepo, tempDir } from '../helpers/cli.js';

const stateFiles = (dir: string) =>
  ['events.yaml', 'decisions.yaml', 'backlog.yaml', 'runtime.json', 'catch-log.tsv'].map((file) => readFileSync(join(dir, '.agentstate', file), 'utf8')).join('\0');

describe('values are stored exactly', () => {
  it('state set keeps what was typed unless it is exactly JSON; a declared string takes the text as is', () => {
    const dir = stateRepo();
    expect(cli(dir, ['state', 'set', 'ver=1.10', 'big=12345678901234567890', 'n=3', 'ok=true', 'list=[1, 2]', 'exp=1e3', 'obj={"a":1}']).code).toBe(0);
    const fields = json<{ fields: Record<string, unknown> }>(cli(dir, ['state', 'get', '--json'])).fields;
    expect(fields).toEqual({ ver: '1.10', big: '12345678901234567890', n: 3, ok: true, list: [1, 2], exp: '1e3', obj: { a: 1 } });
    writeFileSync(join(dir, '.agentstate/config.yaml'), read(dir, '.agentstate/config.yaml').replace('types: {}', 'types: {phase: string, attempts: integer}'));
    expect(cli(dir, ['state', 'set', 'phase=3', 'attempts=4']).code).toBe(0);
    expect(json<{ fields: Record<string, unknown> }>(cli(dir, ['state', 'get', '--json'])).fields).toMatchObject({ phase: '3', attempts: 4 });
    expect(cli(dir, ['state', 'set', 'attempts=4.0']).code).toBe(2);
  });

  it('log --data follows the same rule', () => {
    const dir = stateRepo();
    cli(dir, ['log', 'build', '--data', 'version=1.10', '--data', 'ms=42', '--data', 'id=00123']);
    const [event] = json<{ events: Array<{ data: Record<string, unknown> }> }>(cli(dir, ['events', '--json'])).events;
    expect(event!.data).toEqual({ version: '1.10', ms: 42, id: '00123' });
  });
});

describe('every command speaks JSON under --json, usage errors too', () => {
  it.each([
    [['outcome', 'X', 'maybe'], /command-argument value 'maybe' is invalid for argument 'status'/, 'outcome'],
    [['logg'], /unknown command 'logg'/, ''],
    [['log'], /missing required argument 'summary'/, 'log'],
    [['log', 'x', '--bogus'], /unknown option '--bogus'/, 'log'],
    [['backlog', 'add'], /missing required argument 'title'/, 'backlog add'],
    [['decide', 'x'], /required option '--why <rationale>' not specified/, 'decide'],
    [['resume', '--format', 'xml'], /option '--format <format>' argument 'xml' is invalid/, 'resume'],
  ])('%j: one JSON error document with code 2 on stdout, one agentstate: line on stderr', (args, message, path) => {
    const dir = stateRepo();
    const run = cli(dir, ['--json', ...args]);
    expect(run.code).toBe(2);
    const doc = json<{ error: { code: number; message: string; hint: string } }>(run);
    expect(doc.error.code).toBe(2);
    expect(doc.error.message).toMatch(message);
    expect(doc.error.hint).toBe(`see \`agentstate ${path ? `${path} ` : ''}--help\``);
    expect(run.stderr).toMatch(/^agentstate: /);
    const plain = cli(dir, args);
    expect(plain.code).toBe(2);
    expect(plain.stdout).toBe('');
    expect(plain.stderr.split('\n')[0]).toMatch(new RegExp(`^agentstate: ${message.source}`));
  });

  it('an empty id or prefix never matches a record; an empty summary is refused; nothing is written', () => {
    const dir = stateRepo();
    const decision = cli(dir, ['decide', 'only one', '--why', 'w', '-q']).stdout.trim();
    cli(dir, ['backlog', 'add', 'only task']);
    const before = stateFiles(dir);
    const commits = commitCount(dir);
    for (const args of [['outcome', '', 'done'], ['outcome', 'd-', 'done'], ['backlog', 'update', '', '--status', 'done'], ['backlog', 'claim', ' '], ['revoke', '', '--why', 'x'], ['log', ''], ['log', '   \t'], ['decide', ' ', '--why', 'w']]) {
      const run = cli(dir, args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(/^agentstate: (an empty \w+ id matches nothing|the summary must not be empty|the title must not be empty)/);
    }
    expect(stateFiles(dir)).toBe(before);
    expect(commitCount(dir)).toBe(commits);
    expect(cli(dir, ['outcome', decision.slice(0, 5), 'done']).code).toBe(0);
  });
});

describe('errno failures are not bugs', () => {
  it('a file where a directory must be: one line naming the path, the cause and what to do, exit 1', () => {
    const dir = stateRepo();
    rmSync(join(dir, '.git/agentstate'), { recursive: true, force: true });
    writeFileSync(join(dir, '.git/agentstate'), 'not a directory');
    const run = cli(dir, ['log', 'x']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^agentstate: mkdir \.git\/agentstate: something else is already at that path \(EEXIST\)\n {2}hint: move it aside/);
    expect(run.stderr).not.toMatch(/bug/);
    const asJson = json<{ error: { code: number; message: string } }>(cli(dir, ['--json', 'state', 'set', 'a=1']));
    expect(asJson.error.code).toBe(1);
  });

  it('permission denied: exit 1, the file and the cause named', () => {
    const dir = stateRepo();
    const root = process.getuid?.() === 0;
    // As root every permission check passes: run the CLI as an unprivileged user instead.
    chmodSync(dir, 0o755);
    const run = root
      ? spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, BIN, 'log', 'x'], { cwd: dir, env: baseEnv({ HOME: '/tmp' }), encoding: 'utf8' })
      : (chmodSync(join(dir, '.git/agentstate'), 0o555), spawnSync(process.execPath, [BIN, 'log', 'x'], { cwd: dir, env: baseEnv(), encoding: 'utf8' }));
    expect(run.status, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/^agentstate: \w+ \S+: permission denied \(EACCES\)\n {2}hint: check the owner and permissions/);
    expect(run.stderr).not.toMatch(/bug/);
  });
});

describe('everyday ergonomics', () => {
  it('log -, decide --why - and handoff --note - read stdin', () => {
    const dir = stateRepo();
    expect(cli(dir, ['log', '-'], {}, 'from a pipe\n').code).toBe(0);
    const id = cli(dir, ['decide', 'Piped', '--why', '-', '-q'], {}, 'a long rationale\nover two lines\n').stdout.trim();
    cli(dir, ['handoff', '--note', '-'], {}, 'see the PR\n');
    const events = json<{ events: Array<{ summary: string }> }>(cli(dir, ['events', '--json'])).events;
    expect(events.map((event) => event.summary)).toEqual(['from a pipe', 'see the PR']);
    expect(json<{ decisions: Array<{ id: string; why: string }> }>(cli(dir, ['decisions', '--json'])).decisions).toEqual([expect.objectContaining({ id, why: 'a long rationale\nover two lines' })]);
    expect(cli(dir, ['log', '-'], {}, '\n').code).toBe(2);
  });

  it('--note is the one name; --notes still works and is not in the help', () => {
    const dir = stateRepo();
    cli(dir, ['catch', 'lint', 'unused', '--note', 'n1']);
    cli(dir, ['catch', 'lint', 'unused', '--notes', 'n2']);
    expect(json<{ catches: Array<{ notes: string }> }>(cli(dir, ['catches', '--json'])).catches.map((row) => row.notes)).toEqual(['n1', 'n2']);
    const task = cli(dir, ['backlog', 'add', 't', '--notes', 'old name', '-q']).stdout.trim();
    expect(json<{ task: { notes: string } }>(cli(dir, ['backlog', 'show', task, '--json'])).task.notes).toBe('old name');
    for (const command of [['catch'], ['outcome'], ['handoff'], ['backlog', 'add'], ['backlog', 'update']]) {
      const help = cli(dir, [...command, '--help']).stdout;
      expect(help, command.join(' ')).toContain('--note <text>');
      expect(help, command.join(' ')).not.toContain('--notes');
    }
  });

  it('events --by filters by agent; the global --agent does not', () => {
    const dir = stateRepo();
    cli(dir, ['log', 'from w1', '--agent', 'w1']);
    cli(dir, ['log', 'from w2', '--agent', 'w2']);
    cli(dir, ['catch', 'lint', 'x', '--agent', 'w1']);
    const summaries = (args: string[]) => json<{ events: Array<{ summary: string }> }>(cli(dir, [...args, '--json'])).events.map((event) => event.summary);
    expect(summaries(['events', '--by', 'w1'])).toEqual(['from w1']);
    expect(summaries(['--agent', 'w1', 'events'])).toEqual(['from w1', 'from w2']);
    expect(json<{ count: number }>(cli(dir, ['catches', '--by', 'w2', '--json'])).count).toBe(0);
    expect(cli(dir, ['events', '--help']).stdout.replace(/\s+/g, ' ')).toContain('--by <name> only records by this agent (the global --agent says who acts; it does not filter)');
  });
});

describe('backlog', () => {
  it('list: by priority then age, with what blocks each task', () => {
    const dir = stateRepo();
    const old = cli(dir, ['backlog', 'add', 'old P2', '-q']).stdout.trim();
    const urgent = cli(dir, ['backlog', 'add', 'urgent', '--priority', 'P0', '-q']).stdout.trim();
    const waits = cli(dir, ['backlog', 'add', 'waits', '--priority', 'P1', '--depends', old, '-q']).stdout.trim();
    const rows = cli(dir, ['backlog', 'list']).stdout.trim().split('\n');
    expect(rows[0]).toMatch(/^PRI\s+STATUS\s+ID\s+TITLE\s+OWNER\s+BLOCKED-BY\s+VER$/);
    expect(rows.slice(1).map((row) => row.split(/\s+/)[2])).toEqual([urgent, waits, old]);
    expect(rows[2]).toMatch(new RegExp(`waits\\s+-\\s+${old}\\s+1$`));
  });

  it('update --untag and --drop-depends remove; release gives a claim back; next --claim with nothing ready exits 3', () => {
    const dir = stateRepo();
    const first = cli(dir, ['backlog', 'add', 'first', '-q']).stdout.trim();
    const second = cli(dir, ['backlog', 'add', 'second', '--tag', 'later', '--tag', 'api', '--depends', first, '-q']).stdout.trim();
    expect(cli(dir, ['backlog', 'update', second, '--untag', 'later', '--drop-depends', first]).code).toBe(0);
    const task = json<{ task: { tags: string[]; depends_on?: string[] } }>(cli(dir, ['backlog', 'show', second, '--json'])).task;
    expect(task.tags).toEqual(['api']);
    expect(task.depends_on).toBeUndefined();
    expect(cli(dir, ['backlog', 'update', second, '--untag', 'nope']).code).toBe(2);

    expect(cli(dir, ['backlog', 'claim', first, '--agent', 'w1']).code).toBe(0);
    expect(cli(dir, ['backlog', 'release', first, '--agent', 'w2']).code).toBe(4);
    expect(cli(dir, ['backlog', 'release', first, '--agent', 'w1']).code).toBe(0);
    const released = json<{ task: { status: string; owner?: string } }>(cli(dir, ['backlog', 'show', first, '--json'])).task;
    expect(released.status).toBe('open');
    expect(released).not.toHaveProperty('owner');
    expect(cli(dir, ['backlog', 'claim', first, '--agent', 'w1']).code).toBe(0);
    expect(cli(dir, ['backlog', 'release', first, '--force', '--agent', 'w2']).code).toBe(0);

    expect(cli(dir, ['backlog', 'claim', first, '--agent', 'w1']).code).toBe(0);
    expect(cli(dir, ['backlog', 'claim', second, '--agent', 'w1']).code).toBe(0);
    const none = cli(dir, ['backlog', 'next', '--claim']);
    expect(none.code).toBe(3);
    expect(none.stderr).toMatch(/^agentstate: no task is ready to claim/);
    expect(json<{ error: { code: number } }>(cli(dir, ['--json', 'backlog', 'next', '--claim'])).error.code).toBe(3);
  });
});

describe('help, messages and completion', () => {
  it('help backlog add shows the subcommand; group commands have examples', () => {
    const dir = tempDir();
    const help = cli(dir, ['help', 'backlog', 'add']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: agentstate backlog add \[options\] <title>/);
    for (const group of ['backlog', 'state']) expect(cli(dir, [group, '--help']).stdout, group).toMatch(/Examples:\n {2}\$ agentstate /);
  });

  it('-q is exact when piped; on a terminal a control character in a value is shown, not obeyed (as ls does)', () => {
    const dir = stateRepo();
    const value = 'a\u001b]0;pwned\u0007b';
    expect(cli(dir, ['state', 'set', `note=${value}`]).code).toBe(0);
    expect(cli(dir, ['state', 'get', 'note', '-q']).stdout).toBe(`${value}\n`);
    const screen = onTerminal(dir, ['state', 'get', 'note', '-q'], { columns: 80 });
    expect(screen.code).toBe(0);
    expect(screen.screen).toContain('a\\x1b]0;pwned\\x07b');
  });

  it('search without a hit does not echo a secret typed as the query', () => {
    const dir = stateRepo();
    const token = `ghp_${'a1B2c3D4e5'.repeat(4).slice(0, 36)}`;
    const run = cli(dir, ['search', token]);
    expect(run.code).toBe(0);
    expect(run.stdout + run.stderr).not.toContain(token);
    expect(run.stdout).toMatch(/no matches for "\[redacted/);
  });

  it('the top-level help has examples; --version --json is one JSON document', () => {
    const dir = tempDir();
    expect(cli(dir, ['--help']).stdout).toMatch(/Examples:\n {2}\$ agentstate init\n/);
    const version = cli(dir, ['--version', '--json']);
    expect(version.code).toBe(0);
    expect(JSON.parse(version.stdout)).toEqual({ version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    expect(cli(dir, ['--version']).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('outside a git repository it says the state is not versioned, and promises no commit', () => {
    const dir = tempDir();
    cli(dir, ['init']);
    const run = cli(dir, ['log', 'x']);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/not versioned: this directory is not inside a git repository/);
    expect(run.stderr).not.toMatch(/next command records it/);
  });

  it('bash completion, generated from the command table, completes commands, subcommands, options and choices', () => {
    const dir = tempDir();
    const script = cli(dir, ['completion', 'bash']).stdout;
    writeFileSync(join(dir, 'agentstate.bash'), script);
    const complete = (...words: string[]) =>
      spawnSync('bash', ['-c', `source ./agentstate.bash; COMP_WORDS=(${words.map((word) => `'${word}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _agentstate; echo "\${COMPREPLY[*]}"`], { cwd: dir, encoding: 'utf8' }).stdout.trim();
    expect(complete('agentstate', 'backlog', 'a')).toBe('add');
    expect(complete('agentstate', 'backlog', 're')).toBe('release');
    expect(complete('agentstate', 'back')).toBe('backlog');
    expect(complete('agentstate', '--dir', 'x', 'outcome', 'd-1', '')).toBe('done failed abandoned');
    expect(complete('agentstate', 'resume', '--format', '')).toBe('md json hook');
    expect(complete('agentstate', 'events', '--b')).toBe('--by');
    expect(complete('agentstate', 'log', '--ag')).toBe('--agent');
    for (const shell of ['zsh', 'fish']) expect(cli(dir, ['completion', shell]).stdout).toContain('backlog');
    expect(cli(dir, ['completion', 'tcsh']).code).toBe(2);
  });
});

describe('the lock is never taken by a reader', () => {
  it('resume and boot --check leave no lock behind and create none', () => {
    const dir = stateRepo();
    mkdirSync(join(dir, '.git/agentstate'), { recursive: true });
    const before = git(dir, 'status', '--porcelain');
    cli(dir, ['resume']);
    cli(dir, ['boot', '--check']);
    expect(spawnSync('ls', [join(dir, '.git/agentstate')], { encoding: 'utf8' }).stdout).not.toMatch(/state\.lock/);
    expect(git(dir, 'status', '--porcelain')).toBe(before);
  });
});
