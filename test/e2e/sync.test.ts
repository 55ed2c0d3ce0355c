import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, git, json, read, stateRepo, tempDir } from '../helpers/cli.js';
import { bareWithClones, expectNoConflictMarkers, idsIn, remoteHead } from '../helpers/bare-remote.js';
import { pathWithout } from '../helpers/package.js';

interface SyncJson {
  head: string;
  pushed: boolean;
  integrated: string;
  tries: number;
  retries: number;
  commits: { in: number; out: number };
  files: Record<string, { before: number; after: number; in: number; out: number }>;
  warnings: string[];
}

const ok = (dir: string, args: string[], env: Record<string, string> = {}) => {
  const run = cli(dir, args, env);
  expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(0);
  return run.stdout.trim();
};
const head = (dir: string) => git(dir, 'rev-parse', 'HEAD').trim();

/** A remote hook that moves main before our push lands: as if another clone pushed in between. */
function raceEveryPush(origin: string, times: 'once' | 'always'): void {
  const hook = join(origin, 'hooks/pre-receive');
  writeFileSync(
    hook,
    `#!/bin/sh
${times === 'once' ? `[ -e "$GIT_DIR/raced" ] && exit 0\ntouch "$GIT_DIR/raced"` : ''}
unset GIT_QUARANTINE_PATH GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES
tree=$(git rev-parse refs/heads/main^{tree})
next=$(echo "someone else" | git commit-tree -p refs/heads/main "$tree")
git update-ref refs/heads/main "$next"
`,
  );
  chmodSync(hook, 0o755);
}

describe('agentstate sync', () => {
  it('fetches, merges with the drivers and pushes: every record of both clones once, the remote at our HEAD, --json says what moved', () => {
    const { origin, clones } = bareWithClones(['alice', 'bob']);
    const { alice, bob } = clones;
    const mine = [ok(alice, ['log', 'alice 1']), ok(alice, ['log', 'alice 2'])];
    const aliceTask = ok(alice, ['backlog', 'add', 'alice task']);
    const first = json<SyncJson>(cli(alice, ['sync', '--json']));
    expect(first).toMatchObject({ pushed: true, head: head(alice), retries: 0 });
    expect(first.files['events.yaml']).toEqual({ before: 2, after: 2, in: 0, out: 2 });
    const theirs = [ok(bob, ['log', 'bob 1'])];
    ok(bob, ['decide', 'bob decides', '--why', 'because']);
    const run = cli(bob, ['sync', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const report = json<SyncJson>(run);
    expect(report).toMatchObject({ pushed: true, integrated: 'merged', head: head(bob) });
    expect(report.files['events.yaml']).toEqual({ before: 1, after: 3, in: 2, out: 1 });
    expect(report.files['backlog.yaml']).toMatchObject({ before: 0, after: 1, in: 1, out: 0 });
    expect(report.files['decisions.yaml']).toMatchObject({ in: 0, out: 1 });
    expect(report.commits.in).toBeGreaterThan(0);
    expect(remoteHead(origin)).toBe(head(bob));
    expect(report.warnings.join(' ')).toMatch(/registered the merge drivers/); // a fresh clone: sync registered them
    expect(ok(alice, ['sync', '--json'])).toContain('"integrated": "fast-forward"');
    for (const dir of [alice, bob]) {
      expectNoConflictMarkers(dir);
      const ids = idsIn(dir, 'events.yaml');
      for (const id of [...mine, ...theirs]) expect(ids.filter((other) => other === id), id).toHaveLength(1);
      expect(read(dir, '.agentstate/backlog.yaml')).toContain(aliceTask);
      expect(cli(dir, ['check']).code).toBe(0);
    }
    const again = json<SyncJson>(cli(alice, ['sync', '--json']));
    expect(again).toMatchObject({ pushed: false, integrated: 'up-to-date', commits: { in: 0, out: 0 } });
  });

  it('--json counts only the tasks that moved: a merge leaves the lines of tasks neither side changed byte for byte', () => {
    const { clones } = bareWithClones(['alice', 'bob']);
    const { alice, bob } = clones;
    const [moved, still] = [ok(alice, ['backlog', 'add', 'moves']), ok(alice, ['backlog', 'add', 'stays'])];
    ok(alice, ['sync']);
    ok(bob, ['sync']);
    const lineOf = (dir: string, id: string) => read(dir, '.agentstate/backlog.yaml').split('\n').find((line) => line.includes(id));
    const untouched = lineOf(bob, still);
    ok(alice, ['backlog', 'update', moved, '--status', 'done']);
    ok(alice, ['sync']);
    ok(bob, ['backlog', 'add', 'bob adds one']); // both sides changed backlog.yaml: its merge driver runs
    const report = json<SyncJson>(cli(bob, ['sync', '--json']));
    expect(report).toMatchObject({ pushed: true, integrated: 'merged' });
    expect(report.files['backlog.yaml']).toEqual({ before: 3, after: 3, in: 1, out: 1 });
    expect(lineOf(bob, still)).toBe(untouched);
    expect(lineOf(bob, moved)).toBe(lineOf(alice, moved));
  });

  it('merges with the drivers even where agentstate is not on PATH (run through node): this agentstate serves them', () => {
    const { origin, clones } = bareWithClones(['alice', 'bob']);
    const a = ok(clones.alice, ['log', 'alice']);
    ok(clones.alice, ['sync']);
    const b = ok(clones.bob, ['log', 'bob']);
    const run = cli(clones.bob, ['sync'], { PATH: pathWithout() });
    expect(run.code, run.stderr).toBe(0);
    expect(remoteHead(origin)).toBe(head(clones.bob));
    expect(idsIn(clones.bob, 'events.yaml').filter((id) => id === a || id === b)).toHaveLength(2);
    expect(git(clones.bob, 'config', '--get', 'merge.agentstate-log.driver')).not.toContain(clones.bob); // no path written into git's config
  });

  it('merges on a machine where git has no identity (a bare CI machine): the merge commit gets the fallback one', () => {
    const { origin, clones } = bareWithClones(['alice', 'bob']);
    ok(clones.alice, ['log', 'alice']);
    ok(clones.alice, ['sync']);
    git(clones.bob, 'config', '--unset', 'user.name');
    git(clones.bob, 'config', '--unset', 'user.email');
    const bare = { HOME: tempDir('home-'), GIT_CONFIG_NOSYSTEM: '1', EMAIL: undefined, AGENTSTATE_AGENT: 'bob' };
    expect(cli(clones.bob, ['log', 'bob'], bare).code).toBe(0);
    const run = cli(clones.bob, ['sync'], bare);
    expect(run.code, run.stderr).toBe(0);
    expect(git(clones.bob, 'log', '-1', '--format=%an <%ae> %s')).toBe('agentstate <agentstate@localhost> agentstate: sync merge origin/main\n');
    expect(remoteHead(origin)).toBe(head(clones.bob));
  });

  it('fetches and merges again when the push is rejected because someone pushed meanwhile', () => {
    const { origin, clones } = bareWithClones(['alice']);
    raceEveryPush(origin, 'once');
    const id = ok(clones.alice, ['log', 'raced']);
    const report = json<SyncJson>(cli(clones.alice, ['sync', '--json']));
    expect(report).toMatchObject({ pushed: true, tries: 2, retries: 1 });
    expect(remoteHead(origin)).toBe(head(clones.alice));
    expect(git(origin, 'log', '--format=%s', 'main')).toContain('someone else');
    expect(git(origin, 'show', 'main:.agentstate/events.yaml')).toContain(id);
  });

  it('gives up after sync.tries rejected pushes: exit 1, the commits merged here and nothing lost', () => {
    const { origin, clones } = bareWithClones(['alice']);
    const { alice } = clones;
    writeFileSync(join(alice, '.agentstate/config.yaml'), read(alice, '.agentstate/config.yaml').replace('tries: 10', 'tries: 3'));
    git(alice, 'commit', '-qam', 'three tries');
    raceEveryPush(origin, 'always');
    const id = ok(alice, ['log', 'never lands']);
    const run = cli(alice, ['sync']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/the remote kept moving: 3 pushes to origin\/main were rejected/);
    expect(git(origin, 'show', 'main:.agentstate/events.yaml')).not.toContain(id);
    expect(read(alice, '.agentstate/events.yaml')).toContain(id);
    expect(git(alice, 'log', '--format=%s', '-3')).toContain('someone else'); // merged in, ready for the next sync
  });

  it('--rebase replays local commits on the remote ones: no merge commit, every record once', () => {
    const { origin, clones } = bareWithClones(['alice', 'bob']);
    const a = ok(clones.alice, ['log', 'alice']);
    ok(clones.alice, ['sync']);
    const b = ok(clones.bob, ['log', 'bob']);
    const report = json<SyncJson>(cli(clones.bob, ['sync', '--rebase', '--json']));
    expect(report).toMatchObject({ pushed: true, integrated: 'rebased' });
    expect(git(clones.bob, 'rev-list', '--merges', '--count', 'HEAD').trim()).toBe('0');
    expect(remoteHead(origin)).toBe(head(clones.bob));
    const ids = idsIn(clones.bob, 'events.yaml');
    expect(ids.filter((id) => id === a || id === b)).toHaveLength(2);
  });

  it('refuses while a merge is in progress or the work tree has a conflict, and changes nothing', () => {
    const { origin, clones } = bareWithClones(['alice', 'bob']);
    const { alice, bob } = clones;
    commitFile(alice, 'notes.txt', 'alice\n');
    ok(alice, ['sync']);
    commitFile(bob, 'notes.txt', 'bob\n');
    ok(bob, ['log', 'bob was here']);
    const merging = cli(bob, ['sync']); // notes.txt conflicts, and it is not a state file: undone
    expect(merging.code).toBe(1);
    expect(merging.stderr).toMatch(/merging origin\/main conflicts in notes\.txt; undone, nothing was changed/);
    expect(git(bob, 'status', '--porcelain')).toBe('');
    const [remoteBefore, bobBefore] = [remoteHead(origin), head(bob)];

    expect(spawnSync('git', ['merge', 'origin/main'], { cwd: bob }).status).toBe(1); // the user's own merge, stopped on the conflict
    const snapshot = readFileSync(join(bob, 'notes.txt'), 'utf8');
    const midMerge = cli(bob, ['sync', '--json']);
    expect(midMerge.code).toBe(1);
    expect(json<{ error: { message: string } }>(midMerge).error.message).toMatch(/a git merge is in progress/);
    expect(readFileSync(join(bob, 'notes.txt'), 'utf8')).toBe(snapshot);
    git(bob, 'merge', '--abort');

    writeFileSync(join(bob, 'notes.txt'), 'stashed\n');
    git(bob, 'stash', '-q');
    commitFile(bob, 'notes.txt', 'committed\n');
    expect(spawnSync('git', ['stash', 'pop'], { cwd: bob }).status).not.toBe(0); // a conflict, and no merge in progress
    const conflicted = cli(bob, ['sync']);
    expect(conflicted.code).toBe(1);
    expect(conflicted.stderr).toMatch(/the work tree has a conflict in notes\.txt/);
    expect(conflicted.stderr).toContain('hint: resolve the conflict in notes.txt, then `git add notes.txt` and sync'); // not `git checkout -m`, which only makes the conflict again
    expect(remoteHead(origin)).toBe(remoteBefore);
    expect(git(bob, 'rev-parse', 'HEAD~1').trim()).toBe(bobBefore);
  });

  it("never touches the user's uncommitted work: kept across a merge, and a merge that would overwrite it is refused with git's message", () => {
    const { origin, clones } = bareWithClones(['alice', 'bob']);
    const { alice, bob } = clones;
    commitFile(alice, 'README.md', '# project\n');
    ok(alice, ['sync']);
    ok(bob, ['sync']);
    commitFile(alice, 'shared.txt', 'from alice\n');
    ok(alice, ['log', 'alice']);
    ok(alice, ['sync']);
    writeFileSync(join(bob, 'README.md'), '# my unsaved edit\n');
    writeFileSync(join(bob, 'scratch.txt'), 'untracked\n');
    ok(bob, ['log', 'bob']);
    ok(bob, ['sync']);
    expect(read(bob, 'README.md')).toBe('# my unsaved edit\n');
    expect(read(bob, 'scratch.txt')).toBe('untracked\n');
    expect(git(bob, 'status', '--porcelain').split('\n').filter(Boolean).sort()).toEqual([' M README.md', '?? scratch.txt']);
    expect(remoteHead(origin)).toBe(head(bob));

    commitFile(alice, 'README.md', '# alice changed it too\n');
    ok(alice, ['sync']);
    const before = head(bob);
    const refused = cli(bob, ['sync']);
    expect(refused.code).toBe(1);
    const message = refused.stderr.split('\n')[0]!;
    expect(message).toMatch(/git refused to merge: .*local changes to the following files would be overwritten by merge: README\.md/);
    expect(refused.stderr.trim().split('\n')).toHaveLength(2); // the message on one line, then the hint
    expect(read(bob, 'README.md')).toBe('# my unsaved edit\n');
    expect(head(bob)).toBe(before);
    expect(git(bob, 'stash', 'list')).toBe('');
  });

  it('refuses a merge while unrelated changes are staged, naming them and how to unstage them (git would call them overwritten), and leaves them staged', () => {
    const { origin, clones } = bareWithClones(['alice', 'bob']);
    const { alice, bob } = clones;
    ok(alice, ['log', 'alice']);
    ok(alice, ['sync']);
    ok(bob, ['log', 'bob']);
    writeFileSync(join(bob, 'staged.txt'), 'staged, not committed\n');
    git(bob, 'add', 'staged.txt');
    const before = head(bob);
    const refused = cli(bob, ['sync']);
    expect(refused.code).toBe(1);
    expect(refused.stderr.split('\n')[0]).toMatch(/staged changes \(staged\.txt\)/);
    expect(refused.stderr).toContain('git restore --staged staged.txt');
    expect(refused.stderr).not.toMatch(/would be overwritten/);
    expect(git(bob, 'status', '--porcelain')).toBe('A  staged.txt\n');
    expect(head(bob)).toBe(before);
    expect(remoteHead(origin)).not.toBe(before);
  });

  it('AGENTSTATE_SYNC=1 (or sync.after_write) shares every write at once; a sync that fails is a warning, the write is done', () => {
    const { origin, clones } = bareWithClones(['alice', 'bob']);
    const { alice, bob } = clones;
    const id = ok(alice, ['log', 'shared at once'], { AGENTSTATE_SYNC: '1' });
    expect(remoteHead(origin)).toBe(head(alice));
    expect(git(origin, 'show', 'main:.agentstate/events.yaml')).toContain(id);

    writeFileSync(join(bob, '.agentstate/config.yaml'), read(bob, '.agentstate/config.yaml').replace('after_write: false', 'after_write: true'));
    git(bob, 'commit', '-qam', 'sync after every write');
    const task = ok(bob, ['backlog', 'add', 'from bob']);
    expect(remoteHead(origin)).toBe(head(bob));
    expect(git(origin, 'show', 'main:.agentstate/backlog.yaml')).toContain(task);
    expect(idsIn(bob, 'events.yaml')).toContain(id); // and what alice sent came in

    git(bob, 'remote', 'set-url', 'origin', join(origin, 'gone'));
    const offline = cli(bob, ['log', 'offline']);
    expect(offline.code).toBe(0);
    expect(offline.stderr).toMatch(/warning: written and committed, but not synced: git fetch origin failed/);
    expect(read(bob, '.agentstate/events.yaml')).toContain(offline.stdout.trim());
    expect(git(bob, 'log', '-1', '--format=%s')).toMatch(/^agentstate: log offline/);
    const opted = cli(bob, ['log', 'no sync'], { AGENTSTATE_SYNC: '0' });
    expect(opted.code).toBe(0);
    expect(opted.stderr).toBe('');
  });

  it('records state changes left uncommitted (--no-commit) before it syncs, so they go out too', () => {
    const { origin, clones } = bareWithClones(['alice']);
    const id = ok(clones.alice, ['log', 'not committed yet', '--no-commit']);
    expect(git(clones.alice, 'status', '--porcelain')).not.toBe('');
    ok(clones.alice, ['sync']);
    expect(git(origin, 'show', 'main:.agentstate/events.yaml')).toContain(id);
    expect(git(clones.alice, 'status', '--porcelain')).toBe('');
  });

  it('says what to do without a remote, with an unknown remote, outside a branch', () => {
    const dir = stateRepo();
    const none = cli(dir, ['sync']);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no remote to sync with\n {2}hint: add one: git remote add origin <url>/);
    const { clones } = bareWithClones(['alice']);
    const unknown = cli(clones.alice, ['sync', '--remote', 'upstream', '--json']);
    expect(unknown.code).toBe(2);
    expect(json<{ error: { message: string } }>(unknown).error.message).toBe('--remote upstream: no such remote (remotes: origin)');
    git(clones.alice, 'checkout', '-q', '--detach');
    expect(cli(clones.alice, ['sync']).stderr).toMatch(/HEAD is detached/);
  });
});

function commitFile(dir: string, name: string, text: string): void {
  writeFileSync(join(dir, name), text);
  git(dir, 'add', name);
  git(dir, 'commit', '-qm', `${name} from ${dir.split('/').pop()}`);
}
