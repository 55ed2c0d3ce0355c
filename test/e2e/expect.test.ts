import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, commitCount, git, json, read, stateRepo, tempDir } from '../helpers/cli.js';
import { cluster, conflictMarkers, pull, push } from '../helpers/clones.js';

type Result = { expect: { kind: string; value: string }; met: boolean; evidence?: string; reason?: string };
type Check = { verdict: string; label: string; met: number; total: number; results: Result[] };
type View = { id: string; status: string; check?: Check };
const decisions = (dir: string, ...flags: string[]) => json<{ decisions: View[] }>(cli(dir, ['decisions', '--json', ...flags])).decisions;
const checkOf = (dir: string, id: string) => decisions(dir, '--open').find((view) => view.id === id)?.check;
const ok = (dir: string, ...args: string[]) => {
  const run = cli(dir, args);
  expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(0);
  return run.stdout.trim();
};
/** The lines of one open decision in the AGENTS.md block, read from the text as a reader would. */
function openDecisionLines(agents: string, id: string): string[] {
  const block = agents.slice(agents.indexOf('<!-- agentstate:begin -->'), agents.indexOf('<!-- agentstate:end -->'));
  const section = block.slice(block.indexOf('### Open decisions'));
  const lines = section.slice(0, section.indexOf('\n### ')).split('\n');
  const start = lines.findIndex((line) => line.startsWith(`- ${id} `));
  if (start < 0) return [];
  const end = lines.findIndex((line, i) => i > start && !line.startsWith('  '));
  return lines.slice(start, end < 0 ? undefined : end);
}
const commitFile = (dir: string, path: string, message: string) => {
  mkdirSync(join(dir, path, '..'), { recursive: true });
  writeFileSync(join(dir, path), `${message}\n`);
  git(dir, 'add', path);
  git(dir, 'commit', '-qm', message);
  return git(dir, 'rev-parse', 'HEAD').trim();
};

describe('decide --expect: open decisions checked against the repository', () => {
  it('a commit made before the decision does not count; one made after does, with its sha and date', () => {
    const dir = stateRepo();
    commitFile(dir, 'db/draft.sql', 'migration 0042 draft');
    const id = ok(dir, 'decide', 'Add migration 0042', '--why', 'sessions need a TTL', '--expect', 'commit:Migration 0042');
    ok(dir, 'log', 'migration 0042 started'); // agentstate's own commit: a record, not the work
    expect(checkOf(dir, id)).toMatchObject({ verdict: 'not-started', results: [{ met: false, reason: 'no commit after the decision has this in its message' }] });
    const sha = commitFile(dir, 'db/0042.sql', 'Add migration 0042 for the sessions TTL');
    const check = checkOf(dir, id)!;
    expect(check.verdict).toBe('looks-done');
    expect(check.results[0]!.evidence).toMatch(new RegExp(`^${sha.slice(0, 7)} \\d{4}-\\d\\d-\\d\\dT[^ ]+ "Add migration 0042 for the sessions TTL"$`));
  });

  it('file, absent, branch and state: not started, partly done, looks done; resume and --check say so; only outcome closes', () => {
    const dir = stateRepo();
    mkdirSync(join(dir, 'tmp'));
    writeFileSync(join(dir, 'tmp/lock'), 'held\n');
    const id = ok(
      dir, 'decide', 'Release 1.4', '--why', 'customers wait',
      '--expect', 'file:dist/app-1.4.tgz', '--expect', 'absent:tmp/lock', '--expect', 'branch:release-1.4', '--expect', 'state:release.version=1.4',
    );
    expect(checkOf(dir, id)).toMatchObject({ verdict: 'not-started', met: 0, total: 4 });
    expect(cli(dir, ['resume']).stdout).toContain('  - check: not started\n    - not met: file dist/app-1.4.tgz — dist/app-1.4.tgz does not exist');

    mkdirSync(join(dir, 'dist'));
    writeFileSync(join(dir, 'dist/app-1.4.tgz'), 'tarball');
    git(dir, 'tag', 'release-1.4');
    const partly = checkOf(dir, id)!;
    expect(partly).toMatchObject({ verdict: 'partly-done', label: 'partly done (2 of 4 met)' });
    expect(partly.results.find((r) => r.expect.kind === 'branch')?.evidence).toMatch(/^tag release-1\.4 at [0-9a-f]{7}$/);

    ok(dir, 'state', 'set', 'release.version=1.4');
    expect(checkOf(dir, id)).toMatchObject({ verdict: 'partly-done', met: 3 }); // tmp/lock is still there

    rmSync(join(dir, 'tmp/lock'));
    const done = checkOf(dir, id)!;
    expect(done).toMatchObject({ verdict: 'looks-done', label: 'looks done — verify and record the outcome', met: 4 });
    expect(done.results.map((r) => r.evidence)).toEqual([
      expect.stringMatching(/^dist\/app-1\.4\.tgz exists \(7 bytes, modified /),
      'tmp/lock does not exist',
      expect.stringMatching(/^tag release-1\.4 at /),
      'release.version = 1.4',
    ]);
    const resume = cli(dir, ['resume']).stdout;
    expect(resume).toContain(`- ${id} **Release 1.4**`);
    expect(resume).toContain('  - check: looks done — verify and record the outcome\n    - met: file dist/app-1.4.tgz');
    const asJson = json<{ openDecisions: View[] }>(cli(dir, ['resume', '--format', 'json']));
    expect(asJson.openDecisions[0]?.check?.verdict).toBe('looks-done');
    const human = cli(dir, ['decisions']).stdout;
    expect(human).toMatch(new RegExp(`${id}\\s+open, looks done`));
    expect(human).toContain('met     branch release-1.4 — tag release-1.4 at');

    const gate = cli(dir, ['resume', '--check']);
    expect(gate.code).toBe(1);
    expect(gate.stderr).toContain(`resume --check: ${id} looks done — verify and record the outcome (\`agentstate outcome ${id} done\`): Release 1.4`);
    expect(decisions(dir, '--open').map((view) => view.id)).toEqual([id]); // never closed by the tool
    ok(dir, 'outcome', id, 'done', '--note', 'released');
    expect(cli(dir, ['resume', '--check']).code).toBe(0);
  });

  it('tag:NAME is met by a tag of that name only, not by a branch', () => {
    const dir = stateRepo();
    const id = ok(dir, 'decide', 'Tag the release', '--why', 'the changelog links it', '--expect', 'tag:v1.4.0');
    git(dir, 'branch', 'v1.4.0');
    expect(checkOf(dir, id)).toMatchObject({ verdict: 'not-started', results: [{ met: false, reason: 'no tag of that name' }] });
    git(dir, 'tag', 'v1.4.0', 'HEAD');
    expect(checkOf(dir, id)!.results[0]!.evidence).toMatch(/^tag v1\.4\.0 at [0-9a-f]{7}$/);
    expect(cli(dir, ['decisions']).stdout).toContain('met     tag v1.4.0 — tag v1.4.0 at');
    const bad = cli(dir, ['decide', 'x', '--why', 'y', '--expect', 'tag:../v1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('"../v1" is not a tag name');
  });

  it('paths outside the repository are refused when deciding (exit 2, nothing written); a symlink inside it is fine', () => {
    const dir = stateRepo();
    const outside = tempDir('agentstate-outside-');
    writeFileSync(join(outside, 'secret'), 'x');
    symlinkSync(outside, join(dir, 'escape'));
    symlinkSync('/etc/hostname', join(dir, 'host'));
    mkdirSync(join(dir, 'real'));
    symlinkSync('real', join(dir, 'inside'));
    const before = read(dir, '.agentstate/decisions.yaml');
    const commits = commitCount(dir);
    for (const [expectation, message] of [
      ['file:../outside', /`\.\.`/],
      ['absent:db/../../x', /`\.\.`/],
      [`file:${join(outside, 'secret')}`, /absolute/],
      ['file:escape/secret', /escape is a symbolic link that leaves the repository/],
      ['absent:escape/nothing', /leaves the repository/],
      ['file:host', /host is a symbolic link that leaves the repository/],
      ['run:make deploy', /"run" is not a kind/],
      ['state:not a key', /not a key/],
    ] as const) {
      const run = cli(dir, ['decide', 'Escape', '--why', 'test', '--expect', expectation]);
      expect(run.code, expectation).toBe(2);
      expect(run.stderr).toMatch(message);
    }
    expect(read(dir, '.agentstate/decisions.yaml')).toBe(before);
    expect(commitCount(dir)).toBe(commits);
    const id = ok(dir, 'decide', 'Through an inner link', '--why', 'fine', '--expect', 'file:inside/out.txt');
    writeFileSync(join(dir, 'real/out.txt'), 'ok');
    expect(checkOf(dir, id)?.verdict).toBe('looks-done');
  });

  it('a decision from a hostile clone that expects an outside path is unmet with the reason, and check flags it', () => {
    const dir = stateRepo();
    const outside = tempDir('agentstate-outside-');
    symlinkSync(outside, join(dir, 'escape'));
    const record = (id: string, expect: Array<{ kind: string; value: string }>) =>
      `- ${JSON.stringify({ id, at: new Date().toISOString(), kind: 'decision', title: `hostile ${id}`, why: 'w', standing: false, agent: 'mallory', expect })}\n`;
    writeFileSync(
      join(dir, '.agentstate/decisions.yaml'),
      read(dir, '.agentstate/decisions.yaml') +
        record('d-hostile001', [{ kind: 'file', value: '../../../../etc/hostname' }]) +
        record('d-hostile002', [{ kind: 'absent', value: 'escape/nothing-here' }]) +
        record('d-hostile003', [{ kind: 'run', value: 'touch pwned' }]),
    );
    const views = decisions(dir, '--open');
    const reasons = Object.fromEntries(views.map((view) => [view.id, view.check?.results[0]]));
    expect(reasons['d-hostile001']).toMatchObject({ met: false, reason: expect.stringMatching(/^not checked: .*`\.\.`/) });
    expect(reasons['d-hostile002']).toMatchObject({ met: false, reason: 'refused: escape is a symbolic link that leaves the repository' });
    expect(reasons['d-hostile003']).toMatchObject({ met: false, reason: expect.stringMatching(/^not checked: "run" is not a kind/) });
    expect(views.every((view) => view.check?.verdict === 'not-started')).toBe(true);
    const check = cli(dir, ['check']);
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(/decisions\.yaml:\d+: expect\.0\.value: the path contains `\.\.`/);
    expect(check.stdout).toMatch(/decisions\.yaml:\d+: expect\.0\.kind: /);
  });

  it('the AGENTS.md block names what each open decision expects and stays current when the work lands', () => {
    const dir = stateRepo();
    ok(dir, 'hooks', 'install'); // a plain `git commit` runs `check --staged`
    const id = ok(dir, 'decide', 'Add migration 0042', '--why', 'ttl', '--expect', 'file:db/0042.sql', '--expect', 'commit:migration 0042');
    const decidedAt = git(dir, 'rev-parse', '--short=7', 'HEAD~1').trim();
    const agents = read(dir, 'AGENTS.md');
    const lines = openDecisionLines(agents, id);
    expect(lines[0]).toMatch(new RegExp(`^- ${id} \\*\\*Add migration 0042\\*\\*`));
    expect(lines[1]).toBe('  - expects: file db/0042.sql; commit "migration 0042" — check with `agentstate decisions --open`');
    expect(lines[2]).toMatch(new RegExp(`^  - checked at ${decidedAt}, \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC: not started \\(a snapshot; \`agentstate resume\` checks again\\)$`));
    expect(lines.slice(3)).toEqual([
      '    - not met: file db/0042.sql — db/0042.sql does not exist',
      '    - not met: commit "migration 0042" — no commit after the decision has this in its message',
    ]);

    // The work lands through plain git: the hook passes, and no check calls the snapshot stale.
    const first = commitFile(dir, 'db/0042.sql', 'Schema file for the sessions TTL');
    expect(read(dir, 'AGENTS.md')).toBe(agents);
    expect(checkOf(dir, id)?.verdict).toBe('partly-done');
    const fresh = () => {
      expect(cli(dir, ['boot', '--check']).code).toBe(0);
      const check = cli(dir, ['check']);
      expect(check.code, check.stdout).toBe(0);
    };
    fresh();
    expect(cli(dir, ['doctor']).code).toBe(0);

    // The next write brings it up to date, in the commit it makes anyway.
    ok(dir, 'log', 'schema written');
    const partly = openDecisionLines(read(dir, 'AGENTS.md'), id);
    expect(partly[2]).toMatch(new RegExp(`^  - checked at ${first.slice(0, 7)}, .* UTC: partly done \\(1 of 2 met\\) `));
    expect(partly[3]).toBe('    - met: file db/0042.sql — db/0042.sql exists');
    expect(partly[4]).toBe('    - not met: commit "migration 0042" — no commit after the decision has this in its message');
    expect(git(dir, 'show', '--name-only', '--format=', 'HEAD').split('\n')).toContain('AGENTS.md');
    fresh();
    const unchanged = read(dir, 'AGENTS.md');
    ok(dir, 'log', 'nothing new to check'); // HEAD moved, the verdict did not: AGENTS.md stays as it is
    expect(read(dir, 'AGENTS.md')).toBe(unchanged);
    writeFileSync(join(dir, 'db/0042.sql'), 'ALTER TABLE sessions ADD COLUMN ttl integer;\n'); // size and time change, not the finding
    ok(dir, 'state', 'set', 'phase=migrate');
    expect(read(dir, 'AGENTS.md')).toBe(unchanged);
    git(dir, 'commit', '-qam', 'Schema file: the ALTER');

    const second = commitFile(dir, 'db/0042-applied.txt', 'Apply migration 0042');
    const date = git(dir, 'log', '-1', '--format=%cI', second).trim();
    fresh();
    ok(dir, 'state', 'set', 'phase=deploy');
    const done = openDecisionLines(read(dir, 'AGENTS.md'), id);
    expect(done[2]).toMatch(/ UTC: looks done — verify and record the outcome \(a snapshot; `agentstate resume` checks again\)$/);
    expect(done[4]).toBe(`    - met: commit "migration 0042" — ${second.slice(0, 7)} ${date} "Apply migration 0042"`);
    expect(git(dir, 'status', '--porcelain')).toBe('');
    fresh();

    // Recording the outcome removes the decision, and its snapshot, from the block.
    ok(dir, 'outcome', id, 'done', '--note', 'applied');
    const closed = read(dir, 'AGENTS.md');
    expect(closed).not.toContain(id);
    expect(closed).not.toContain('checked at');
    fresh();
  });

  it('a snapshot carried to another clone, and a merge regenerating the block, keep check green there', () => {
    // bob has the hooks (post-merge runs `agentstate boot`); alice only the merge drivers `init` registered.
    const { alice, bob } = cluster(['alice', 'bob']);
    const green = (dir: string) => {
      expect(cli(dir, ['boot', '--check']).code).toBe(0);
      const check = cli(dir, ['check']);
      expect(check.code, check.stdout).toBe(0);
    };
    const verdictIn = (dir: string) => openDecisionLines(read(dir, 'AGENTS.md'), id)[2] ?? '';
    const id = ok(alice, 'decide', 'Build the release tarball', '--why', 'customers', '--expect', 'file:dist/app.tgz');
    push(alice);
    expect(pull(bob).status).toBe(0);
    mkdirSync(join(bob, 'dist'));
    writeFileSync(join(bob, 'dist/app.tgz'), 'tarball'); // built on bob's machine only, never committed
    ok(bob, 'log', 'built it');
    expect(verdictIn(bob)).toMatch(/ UTC: looks done — verify/);
    push(bob);

    // alice gets bob's snapshot as it is; her own check finds nothing, and no check calls the block stale.
    expect(pull(alice).status).toBe(0);
    expect(verdictIn(alice)).toMatch(/ UTC: looks done — verify/);
    expect(checkOf(alice, id)?.verdict).toBe('not-started');
    green(alice);

    // Both change the block; git runs the driver on AGENTS.md in alice's merge.
    ok(bob, 'backlog', 'add', 'Sign the tarball');
    push(bob);
    ok(alice, 'backlog', 'add', 'Write the release notes');
    expect(verdictIn(alice)).toMatch(/ UTC: not started /);
    const merged = pull(alice);
    expect(merged.status, merged.stderr).toBe(0);
    expect(git(alice, 'rev-list', '--parents', '-1', 'HEAD').trim().split(' ')).toHaveLength(3);
    expect(conflictMarkers(alice)).toEqual([]);
    expect(read(alice, 'AGENTS.md')).toContain('Sign the tarball');
    green(alice);
    push(alice);
    ok(bob, 'learn', 'Tarballs come from make dist'); // bob's block changes too: his pull is a merge as well
    const again = pull(bob);
    expect(again.status, again.stderr).toBe(0);
    expect(git(bob, 'rev-list', '--parents', '-1', 'HEAD').trim().split(' ')).toHaveLength(3);
    // bob's post-merge hook runs `agentstate boot`, which cannot commit during the merge: it leaves
    // the merged block (no snapshot) as it is, rather than AGENTS.md modified in his work tree.
    expect(git(bob, 'status', '--porcelain')).toBe('?? dist/\n');
    expect(verdictIn(bob)).toBe('');
    green(bob);
    ok(bob, 'log', 'looked');
    expect(verdictIn(bob)).toMatch(/ UTC: looks done /);
    expect(git(bob, 'status', '--porcelain')).toBe('?? dist/\n');
    ok(alice, 'log', 'looked');
    expect(verdictIn(alice)).toMatch(/ UTC: not started /);
    green(alice);
  });

  it('what a check found is shown in the block, not obeyed: no terminal escape, no marker, and it stays fresh', () => {
    const dir = stateRepo();
    const id = ok(dir, 'decide', 'Parse <!-- comments', '--why', 'w', '--expect', 'commit:parser');
    const sha = commitFile(dir, 'src/parser.txt', 'parser: <!-- agentstate:end --> \u001b]52;c;AAAA\u0007 done');
    ok(dir, 'log', 'looked');
    const agents = read(dir, 'AGENTS.md');
    const lines = openDecisionLines(agents, id);
    expect(lines[0]).toContain('**Parse &lt;!-- comments**');
    expect(lines[3]).toMatch(new RegExp(`^ {4}- met: commit "parser" — ${sha.slice(0, 7)} \\S+ "parser: &lt;!-- agentstate:end --> \\\\x1b\\]52;c;AAAA\\\\x07 done"$`));
    expect(agents.includes('\u001b') || agents.includes('\u0007')).toBe(false);
    expect(agents.split('<!-- agentstate:end -->')).toHaveLength(2);
    expect(cli(dir, ['boot', '--check']).code).toBe(0);
    ok(dir, 'log', 'looked again');
    expect(read(dir, 'AGENTS.md')).toBe(agents);
  });

  it('the block reads a bounded number of commits, and says so where a match may lie beyond them; resume reads on', () => {
    const dir = stateRepo();
    const id = ok(dir, 'decide', 'Ship it', '--why', 'w', '--expect', 'commit:shipped the thing');
    // 1,001 commits after the decision, the matching one the oldest of them (git fast-import: no files change).
    const head = git(dir, 'rev-parse', 'HEAD').trim();
    const start = Math.floor(Date.now() / 1000) + 5;
    const stream = Array.from({ length: 1001 }, (_, i) => {
      const message = i === 0 ? 'shipped the thing\n' : `step ${i}\n`;
      return `commit refs/heads/main\ncommitter Dev <dev@example.com> ${start + i} +0000\ndata ${message.length}\n${message}${i === 0 ? `from ${head}\n` : ''}\n`;
    }).join('');
    const imported = spawnSync('git', ['fast-import', '--quiet'], { cwd: dir, input: stream, encoding: 'utf8' });
    expect(imported.status, imported.stderr).toBe(0);
    ok(dir, 'log', 'looked');
    expect(openDecisionLines(read(dir, 'AGENTS.md'), id)[3]).toBe(
      '    - not met: commit "shipped the thing" — no commit after the decision has this in its message (among the newest 1000; `agentstate resume` reads more)',
    );
    expect(checkOf(dir, id)?.verdict).toBe('looks-done');
  });

  it('a standing order expects nothing', () => {
    const dir = stateRepo();
    const run = cli(dir, ['decide', 'Never push to main', '--why', 'CI', '--standing', '--expect', 'branch:main']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/a standing order is never done/);
  });
});
