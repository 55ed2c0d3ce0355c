import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, commitCount, git, json, read, stateRepo, tempDir } from '../helpers/cli.js';

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
    const id = ok(dir, 'decide', 'Add migration 0042', '--why', 'ttl', '--expect', 'file:db/0042.sql', '--expect', 'commit:migration 0042');
    const agents = read(dir, 'AGENTS.md');
    expect(agents).toContain(`- ${id} **Add migration 0042**`);
    expect(agents).toContain('  - expects: file db/0042.sql; commit "migration 0042" — check with `agentstate decisions --open`');
    commitFile(dir, 'db/0042.sql', 'Add migration 0042');
    expect(checkOf(dir, id)?.verdict).toBe('looks-done');
    expect(read(dir, 'AGENTS.md')).toBe(agents);
    expect(cli(dir, ['boot', '--check']).code).toBe(0);
    expect(cli(dir, ['check']).code).toBe(0);
  });

  it('a standing order expects nothing', () => {
    const dir = stateRepo();
    const run = cli(dir, ['decide', 'Never push to main', '--why', 'CI', '--standing', '--expect', 'branch:main']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/a standing order is never done/);
  });
});
