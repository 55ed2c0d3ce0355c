import { spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, baseEnv, cli, cliAsync, commitCount, filesOf, git, gitRepo, json, readYaml, read, stateRepo, tempDir } from '../helpers/cli.js';

const EVENTS = '.agentstate/events.yaml';
const CATCHES = '.agentstate/catch-log.tsv';

describe('init', () => {
  it('makes one commit and leaves the user staged and unstaged work exactly as it was', () => {
    const dir = gitRepo();
    writeFileSync(join(dir, 'staged.txt'), 'staged\n');
    git(dir, 'add', 'staged.txt');
    writeFileSync(join(dir, 'README.md'), '# project\nunstaged edit\n');
    const statusBefore = git(dir, 'status', '--porcelain');
    const stagedBefore = git(dir, 'diff', '--cached');
    const before = commitCount(dir);

    const run = cli(dir, ['init']);
    expect(run.code, run.stderr).toBe(0);
    expect(commitCount(dir)).toBe(before + 1);
    expect(filesOf(dir).every((file) => file.startsWith('.agentstate/') || file === 'AGENTS.md' || file === '.gitattributes')).toBe(true);
    expect(git(dir, 'status', '--porcelain')).toBe(statusBefore);
    expect(git(dir, 'diff', '--cached')).toBe(stagedBefore);
    expect(read(dir, 'README.md')).toBe('# project\nunstaged edit\n');

    const again = cli(dir, ['init']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/already initialised.*nothing changed/);
    expect(commitCount(dir)).toBe(before + 1);
  });

  it('keeps every byte of a pre-existing AGENTS.md outside the block', () => {
    const dir = gitRepo();
    const mine = '# Team notes\r\n\r\nKeep *this* exactly.  \ttrailing\n<!-- a comment of mine -->\n';
    writeFileSync(join(dir, 'AGENTS.md'), mine);
    expect(cli(dir, ['init']).code).toBe(0);
    const after = read(dir, 'AGENTS.md');
    expect(after.startsWith(mine)).toBe(true);
    expect(after).toContain('<!-- agentstate:begin -->');
    expect(after.trimEnd().endsWith('<!-- agentstate:end -->')).toBe(true);
  });

  it('works in a repository with no commits yet', () => {
    const dir = gitRepo({ empty: true });
    expect(cli(dir, ['init']).code).toBe(0);
    expect(cli(dir, ['log', 'first']).code).toBe(0);
    expect(commitCount(dir)).toBe(2);
  });

  it('works in a worktree and on a detached HEAD', () => {
    const dir = stateRepo();
    const tree = join(tempDir('worktree-'), 'tree');
    git(dir, 'worktree', 'add', '-q', tree, '-b', 'feature');
    expect(cli(tree, ['log', 'in the worktree']).code).toBe(0);
    expect(git(tree, 'log', '-1', '--format=%s').trim()).toBe('agentstate: log in the worktree');
    expect(git(dir, 'log', '-1', '--format=%s').trim()).toBe('agentstate: init create state directory');
    git(tree, 'checkout', '-q', '--detach');
    expect(cli(tree, ['log', 'detached']).code).toBe(0);
    expect(git(tree, 'log', '-1', '--format=%s').trim()).toBe('agentstate: log detached');
    expect(git(tree, 'status', '--porcelain')).toBe('');
  });

  it('commits with a fallback identity where none is configured', () => {
    const dir = tempDir();
    git(dir, 'init', '-q');
    const home = tempDir();
    const env = { HOME: home, XDG_CONFIG_HOME: home, GIT_CONFIG_NOSYSTEM: '1', EMAIL: undefined, USER: 'ci' };
    const run = cli(dir, ['init'], env);
    expect(run.code, run.stderr).toBe(0);
    expect(git(dir, 'log', '-1', '--format=%an <%ae>').trim()).toBe('agentstate <agentstate@localhost>');
  });
});

describe('log and events', () => {
  it('appends an event that an independent YAML parser reads, in a commit of state files only', () => {
    const dir = stateRepo();
    writeFileSync(join(dir, 'mine.txt'), 'staged by the user\n');
    git(dir, 'add', 'mine.txt');
    const cachedBefore = git(dir, 'diff', '--cached');

    const run = cli(dir, ['log', 'Boot sequence consolidated', '--type', 'process', '--ref', 'docs/plan.md', '--backref', 'catch-log.tsv', '--data', 'n=3']);
    expect(run.code, run.stderr).toBe(0);
    const id = run.stdout.trim();
    expect(id).toMatch(/^ev-[0-9a-z]{10}$/);

    const parsed = readYaml(join(dir, EVENTS)) as { schema: number; events: Array<Record<string, unknown>> };
    expect(parsed.schema).toBe(1);
    expect(parsed.events).toHaveLength(1);
    expect(parsed.events[0]).toMatchObject({ id, type: 'process', ref: 'docs/plan.md', backrefs: ['catch-log.tsv'], data: { n: 3 }, agent: 'Test User' });
    expect(filesOf(dir)).toEqual([EVENTS]);
    expect(git(dir, 'diff', '--cached')).toBe(cachedBefore);
    expect(git(dir, 'log', '-1', '--format=%B')).toContain(`Agentstate-Id: ${id}`);
  });

  it('writes records that stay one line for every reader, whatever the text holds', () => {
    const dir = stateRepo();
    const nasty = 'line\u2028sep\u2029para\u0085nel\u007fdel\u0001soh\ttab\r\n"quoted" \\ é 🎉';
    expect(cli(dir, ['log', nasty, '--data', 'nul="a\\u0000b"']).code).toBe(0);
    const lines = read(dir, EVENTS).split('\n');
    expect(lines.filter((line) => line.startsWith('- {'))).toHaveLength(1);
    const parsed = readYaml(join(dir, EVENTS)) as { events: Array<{ summary: string }> };
    expect(parsed.events[0]?.summary).toBe(nasty);
    expect((parsed.events[0] as unknown as { data: { nul: string } }).data.nul).toBe('a\u0000b');
    const events = json<{ events: Array<{ summary: string }> }>(cli(dir, ['events', '--json']));
    expect(events.events[0]?.summary).toBe(nasty);
  });

  it('filters events by type, agent, text and limit, newest last', () => {
    const dir = stateRepo();
    cli(dir, ['log', 'alpha', '--type', 'test', '--agent', 'ann']);
    cli(dir, ['log', 'beta', '--type', 'build', '--agent', 'bob']);
    cli(dir, ['log', 'gamma', '--type', 'test', '--agent', 'bob']);
    const summaries = (args: string[]) => json<{ events: Array<{ summary: string }> }>(cli(dir, ['events', '--json', ...args])).events.map((e) => e.summary);
    expect(summaries([])).toEqual(['alpha', 'beta', 'gamma']);
    expect(summaries(['--type', 'test'])).toEqual(['alpha', 'gamma']);
    expect(summaries(['--by', 'bob'])).toEqual(['beta', 'gamma']);
    expect(summaries(['--grep', 'BET'])).toEqual(['beta']);
    expect(summaries(['--limit', '2'])).toEqual(['beta', 'gamma']);
    expect(summaries(['--since', '1h'])).toHaveLength(3);
    expect(summaries(['--until', '2000-01-01T00:00:00Z'])).toEqual([]);
  });

  it('survives a torn last record: events returns every complete one, the next log repairs the file', () => {
    const dir = stateRepo();
    for (const summary of ['one', 'two', 'three']) expect(cli(dir, ['log', summary]).code).toBe(0);
    appendFileSync(join(dir, EVENTS), '- {"id":"ev-torntorn00","at":"2026-03-05T14:1');

    const events = cli(dir, ['events', '--json']);
    expect(events.code).toBe(0);
    expect(json<{ events: Array<{ summary: string }> }>(events).events.map((e) => e.summary)).toEqual(['one', 'two', 'three']);
    expect(events.stderr).toMatch(/events\.yaml:7: ignored an incomplete last record/);

    const log = cli(dir, ['log', 'four']);
    expect(log.code).toBe(0);
    expect(log.stderr).toMatch(/removed an incomplete last record/);
    const parsed = readYaml(join(dir, EVENTS)) as { events: Array<{ summary: string }> };
    expect(parsed.events.map((e) => e.summary)).toEqual(['one', 'two', 'three', 'four']);
    const aside = readdirSync(join(dir, '.agentstate')).filter((name) => name.startsWith('events.yaml.corrupt-'));
    expect(aside).toHaveLength(1);
    expect(read(dir, `.agentstate/${aside[0]}`)).toBe('- {"id":"ev-torntorn00","at":"2026-03-05T14:1');
  });

  it('8 processes x 10 logs at once: all succeed, each event once, one commit each, fsck clean', async () => {
    const dir = stateRepo();
    const before = commitCount(dir);
    const runs = await Promise.all(
      Array.from({ length: 8 }, (_, worker) =>
        (async () => {
          const results = [];
          for (let i = 0; i < 10; i++) results.push(await cliAsync(dir, ['log', `w${worker}-${i}`, '--agent', `w${worker}`]));
          return results;
        })(),
      ),
    );
    const all = runs.flat();
    expect(all.filter((run) => run.code !== 0).map((run) => run.stderr)).toEqual([]);
    expect(all.some((run) => /index\.lock/.test(run.stderr))).toBe(false);
    const events = (readYaml(join(dir, EVENTS)) as { events: Array<{ id: string; summary: string }> }).events;
    expect(events).toHaveLength(80);
    expect(new Set(events.map((e) => e.id)).size).toBe(80);
    expect(new Set(events.map((e) => e.summary)).size).toBe(80);
    expect(commitCount(dir)).toBe(before + 80);
    git(dir, 'fsck', '--strict');
    expect(git(dir, 'status', '--porcelain')).toBe('');
  });
});

describe('catch and catches', () => {
  it('escapes tabs, newlines and backslashes so every row is one line of the header width', () => {
    const dir = stateRepo();
    const caught = 'a\tb\nc\\d\re';
    const notes = 'tab\there \\n literal backslash-n';
    const run = cli(dir, ['catch', 'pre-commit', caught, '--outcome', 'blocked', '--notes', notes]);
    expect(run.code, run.stderr).toBe(0);
    const lines = read(dir, CATCHES).split('\n').filter(Boolean);
    expect(lines).toHaveLength(2);
    const width = lines[0]!.split('\t').length;
    expect(width).toBe(7);
    for (const line of lines) expect(line.split('\t')).toHaveLength(width);

    // An independent TSV reader (awk -F'\t', as the README promises), then the documented unescaping.
    const rows = awkRows(join(dir, CATCHES));
    expect(rows[0]).toMatchObject({ control: 'pre-commit', caught, outcome: 'blocked', notes });
    const listed = json<{ catches: Array<Record<string, string>> }>(cli(dir, ['catches', '--json']));
    expect(listed.catches[0]).toMatchObject({ caught, notes });
  });

  it('filters catches by control', () => {
    const dir = stateRepo();
    cli(dir, ['catch', 'lint', 'x']);
    cli(dir, ['catch', 'tests', 'y']);
    const listed = json<{ catches: Array<{ caught: string }> }>(cli(dir, ['catches', '--json', '--control', 'tests']));
    expect(listed.catches.map((row) => row.caught)).toEqual(['y']);
  });
});

/** Rows of a TSV file as awk splits them on tabs, keyed by the header, each field unescaped as documented. */
function awkRows(path: string): Array<Record<string, string>> {
  const out = spawnSync('awk', ['-F', '\t', '{ for (i = 1; i <= NF; i++) print $i; print "--end--" }', path], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(out.stderr);
  const records = out.stdout.split('--end--\n').filter(Boolean).map((chunk) => chunk.replace(/\n$/, '').split('\n'));
  const unescape = (field: string) => field.replace(/\\(.)/g, (_, c: string) => ({ t: '\t', n: '\n', r: '\r', '\\': '\\' })[c] ?? c);
  const [header, ...rest] = records;
  return rest.map((fields) => Object.fromEntries(header!.map((name, i) => [name, unescape(fields[i] ?? '')])));
}

describe('errors and exit codes', () => {
  it('invalid input exits 2 and writes nothing', () => {
    const dir = stateRepo();
    const before = read(dir, EVENTS);
    const count = commitCount(dir);
    for (const args of [
      ['log', 'x', '--type', 'two words'],
      ['log', 'x', '--data', 'novalue'],
      ['log', 'x', '--commit', 'not-a-sha'],
      ['catch', 'lint', ''],
      ['events', '--limit', 'many'],
      ['log', 'x', '--bogus'],
    ]) {
      const run = cli(dir, args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr.trim().split('\n').length, run.stderr).toBeLessThanOrEqual(3);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
    expect(read(dir, EVENTS)).toBe(before);
    expect(commitCount(dir)).toBe(count);
  });

  it('names the field that is wrong', () => {
    const dir = stateRepo();
    const run = cli(dir, ['log', 'x', '--type', 'two words']);
    expect(run.stderr).toMatch(/type: must be one word/);
  });

  it('a command before init exits 3', () => {
    const dir = gitRepo();
    const run = cli(dir, ['log', 'too early']);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/agentstate init/);
    expect(existsSync(join(dir, '.agentstate'))).toBe(false);
  });

  it('a lock that cannot be had exits 5 naming its holder, and writes nothing', () => {
    const dir = stateRepo();
    writeFileSync(join(dir, '.agentstate/config.yaml'), read(dir, '.agentstate/config.yaml').replace('timeout_ms: 10000', 'timeout_ms: 300'));
    git(dir, 'commit', '-qam', 'short lock timeout');
    const holder = { pid: process.pid, host: hostname(), since: '2026-01-01T00:00:00.000Z', nonce: 'feedface', command: 'agentstate test' };
    writeFileSync(join(dir, '.git/agentstate/state.lock'), JSON.stringify(holder));
    // A fresh holder: not stale by age either.
    holder.since = new Date().toISOString();
    writeFileSync(join(dir, '.git/agentstate/state.lock'), JSON.stringify(holder));
    const before = read(dir, EVENTS);
    const run = cli(dir, ['log', 'blocked']);
    expect(run.code).toBe(5);
    expect(run.stderr).toContain(`pid ${process.pid} on ${hostname()}`);
    expect(run.stderr).toContain(`since ${holder.since}`);
    expect(read(dir, EVENTS)).toBe(before);
  });

  it('a lock left by a dead process is broken at once', () => {
    const dir = stateRepo();
    const dead = { pid: 2 ** 22 + 12345, host: hostname(), since: new Date().toISOString(), nonce: 'deadbeef' };
    writeFileSync(join(dir, '.git/agentstate/state.lock'), JSON.stringify(dead));
    const run = cli(dir, ['log', 'after a crash']);
    expect(run.code, run.stderr).toBe(0);
    expect(existsSync(join(dir, '.git/agentstate/state.lock'))).toBe(false);
  });
});

describe('git recording around the user', () => {
  it("a user's pre-commit hook that calls agentstate log neither breaks nor pollutes the user's commit", () => {
    const dir = stateRepo();
    const hook = join(dir, '.git/hooks/pre-commit');
    writeFileSync(hook, `#!/bin/sh\n"${process.execPath}" "${join(import.meta.dirname, '../../bin/agentstate.js')}" log "from the hook" || exit 1\n`);
    chmodSync(hook, 0o755);
    writeFileSync(join(dir, 'feature.txt'), 'work\n');
    git(dir, 'add', 'feature.txt');
    git(dir, 'commit', '-q', '-m', 'user work');
    expect(filesOf(dir)).toEqual(['feature.txt']);
    expect(git(dir, 'log', '-1', '--format=%s').trim()).toBe('user work');
    // The event is on disk, its commit deferred; `agentstate commit` records it.
    expect(read(dir, EVENTS)).toContain('from the hook');
    expect(git(dir, 'status', '--porcelain')).toContain('.agentstate/events.yaml');
    const commit = cli(dir, ['commit']);
    expect(commit.code, commit.stderr).toBe(0);
    expect(filesOf(dir)).toEqual([EVENTS]);
    expect(git(dir, 'status', '--porcelain')).toBe('');
  });

  it('no user hook runs for our own commits', () => {
    const dir = stateRepo();
    for (const name of ['pre-commit', 'commit-msg', 'post-commit', 'prepare-commit-msg']) {
      const hook = join(dir, '.git/hooks', name);
      writeFileSync(hook, `#!/bin/sh\necho ran >> "${join(dir, 'hook-ran.txt')}"\nexit 1\n`);
      chmodSync(hook, 0o755);
    }
    expect(cli(dir, ['log', 'hooks must not run']).code).toBe(0);
    expect(existsSync(join(dir, 'hook-ran.txt'))).toBe(false);
    expect(filesOf(dir)).toEqual([EVENTS]);
  });

  it('defers the commit during a merge and records it afterwards', () => {
    const dir = stateRepo();
    git(dir, 'checkout', '-q', '-b', 'side');
    writeFileSync(join(dir, 'README.md'), 'side\n');
    git(dir, 'commit', '-qam', 'side');
    git(dir, 'checkout', '-q', 'main');
    writeFileSync(join(dir, 'README.md'), 'main\n');
    git(dir, 'commit', '-qam', 'main');
    try {
      git(dir, 'merge', 'side');
    } catch {
      /* conflict expected */
    }
    const head = git(dir, 'rev-parse', 'HEAD');
    const run = cli(dir, ['log', 'during the merge']);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/nothing was committed \(a git merge is in progress\)/);
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(head);
    git(dir, 'merge', '--abort');
    const next = cli(dir, ['log', 'after the merge']);
    expect(next.code).toBe(0);
    const events = (readYaml(join(dir, EVENTS)) as { events: Array<{ summary: string }> }).events.map((e) => e.summary);
    expect(events).toEqual(['during the merge', 'after the merge']);
    expect(git(dir, 'status', '--porcelain', '--', '.agentstate')).toBe('');
  });

  it('--no-commit writes the file and leaves the commit to the next command', () => {
    const dir = stateRepo();
    const count = commitCount(dir);
    expect(cli(dir, ['log', 'quiet', '--no-commit']).code).toBe(0);
    expect(commitCount(dir)).toBe(count);
    expect(cli(dir, ['commit']).code).toBe(0);
    expect(commitCount(dir)).toBe(count + 1);
    expect(git(dir, 'status', '--porcelain')).toBe('');
  });

  it('outside a git repository, init and log write the files and warn that nothing is versioned', () => {
    const dir = tempDir();
    const init = cli(dir, ['init']);
    expect(init.code, init.stderr).toBe(0);
    expect(init.stderr).toMatch(/not versioned: this directory is not inside a git repository/);
    const log = cli(dir, ['log', 'no git here']);
    expect(log.code).toBe(0);
    expect(log.stderr).toMatch(/not versioned/);
    expect(read(dir, EVENTS)).toContain('no git here');
  });
});

describe('output', () => {
  it('piped output has no escape codes, even with FORCE_COLOR, and --json is one JSON document', () => {
    const dir = stateRepo();
    cli(dir, ['log', 'colored?']);
    for (const args of [['events'], ['catches'], ['init'], ['--help'], ['log', '--help']]) {
      const run = cli(dir, args, { NO_COLOR: undefined, FORCE_COLOR: '1' });
      expect(run.stdout + run.stderr).not.toContain('\u001b[');
    }
    for (const args of [['events', '--json'], ['log', 'j', '--json'], ['catches', '--json'], ['init', '--json'], ['log', 'x', '--type', 'a b', '--json']]) {
      const run = cli(dir, args);
      expect(() => JSON.parse(run.stdout), args.join(' ')).not.toThrow();
    }
  });

  it('colors on a terminal, and never with NO_COLOR', () => {
    const dir = stateRepo();
    cli(dir, ['backlog', 'add', 'urgent', '--priority', 'P0']);
    const onTty = (env: Record<string, string | undefined>) =>
      spawnSync('script', ['-qc', `"${process.execPath}" "${BIN}" backlog list`, '/dev/null'], { cwd: dir, env: baseEnv(env), encoding: 'utf8' }).stdout;
    expect(onTty({ NO_COLOR: undefined, TERM: 'xterm' })).toContain('\u001b[');
    expect(onTty({ NO_COLOR: '1', TERM: 'xterm' })).not.toContain('\u001b[');
  });

  it('a reader that stops early (| head) is not an error', () => {
    const dir = stateRepo();
    // Far more output than a pipe holds, so the writer meets the closed pipe.
    const lines = Array.from({ length: 3000 }, (_, i) => `- {"id":"ev-${String(i).padStart(10, '0')}","at":"2026-01-01T00:00:00.000Z","type":"note","agent":"a","summary":"${'x'.repeat(60)}"}\n`);
    appendFileSync(join(dir, EVENTS), lines.join(''));
    const run = spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" "${BIN}" events | head -1`], { cwd: dir, env: baseEnv(), encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
  });

  it('output to a pipe its reader made non-blocking, or to /dev/null, arrives whole', () => {
    const dir = stateRepo();
    const lines = Array.from({ length: 3000 }, (_, i) => `- {"id":"ev-${String(i).padStart(10, '0')}","at":"2026-01-01T00:00:00.000Z","type":"note","agent":"a","summary":"${'x'.repeat(60)}"}\n`);
    appendFileSync(join(dir, EVENTS), lines.join(''));
    const whole = cli(dir, ['events']);
    expect(whole.stdout.length).toBeGreaterThan(200_000); // far more than a pipe holds
    // The reader sets the pipe non-blocking (as an event loop does) and starts reading late: writes meet EAGAIN.
    const reader = `import os, subprocess, sys, time
r, w = os.pipe()
os.set_blocking(w, False)
child = subprocess.Popen(sys.argv[1:], stdout=w)
os.close(w)
time.sleep(0.5)
chunks = []
while True:
    chunk = os.read(r, 65536)
    if not chunk: break
    chunks.append(chunk)
sys.stdout.buffer.write(b''.join(chunks))
sys.exit(child.wait())`;
    const run = spawnSync('python3', ['-c', reader, process.execPath, BIN, 'events'], { cwd: dir, env: baseEnv(), encoding: 'utf8', maxBuffer: 1 << 26 });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toBe(whole.stdout);
    const toNull = spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" log "to /dev/null" > /dev/null`], { cwd: dir, env: baseEnv(), encoding: 'utf8' });
    expect(toNull.status, toNull.stderr).toBe(0);
    expect(cli(dir, ['events', '--limit', '1']).stdout).toContain('to /dev/null');
  });

  it('--quiet prints only the id', () => {
    const dir = stateRepo();
    const run = cli(dir, ['--quiet', 'log', 'shh']);
    expect(run.stdout).toMatch(/^ev-[0-9a-z]{10}\n$/);
  });

  it('every command has help with an example', () => {
    const dir = tempDir();
    const top = cli(dir, ['--help']);
    expect(top.code).toBe(0);
    for (const command of ['init', 'log', 'events', 'catch', 'catches', 'commit']) {
      const help = cli(dir, [command, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/Examples:\n {2}\$ agentstate/);
    }
  });
});

describe('readers', () => {
  it('reads a log a person rewrote in block-style YAML (slow path)', () => {
    const dir = stateRepo();
    writeFileSync(
      join(dir, EVENTS),
      'schema: 1\nevents:\n  - id: ev-handmade01\n    at: "2026-03-05T14:15:02.123Z"\n    type: note\n    agent: me\n    summary: written by hand\n',
    );
    const run = cli(dir, ['events', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(json<{ events: Array<{ summary: string }> }>(run).events[0]?.summary).toBe('written by hand');
    expect(readFileSync(join(dir, EVENTS), 'utf8')).toContain('written by hand');
  });
});
