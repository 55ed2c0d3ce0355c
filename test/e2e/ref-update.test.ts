import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, git, gitRepo, read, spawnCli, stateRepo, tempDir } from '../helpers/cli.js';

/**
 * HEAD moves in-process (src/git/ref-update.ts) as `git update-ref` moves it: these read the
 * result with git itself — its reflog, its refs, fsck — in the layouts a user's repository has.
 */
const lastLine = (dir: string, path: string) => read(dir, path).trimEnd().split('\n').pop()!;

function expectSound(dir: string): void {
  expect(spawnSync('git', ['fsck', '--no-progress', '--strict'], { cwd: dir, encoding: 'utf8' }).status).toBe(0);
  expect(git(dir, 'status', '--porcelain')).toBe('');
  for (const lock of ['.git/HEAD.lock', '.git/refs/heads/main.lock', '.git/index.lock']) expect(existsSync(join(dir, lock)), lock).toBe(false);
}

describe('HEAD moved in-process, as git update-ref moves it', () => {
  it('writes the branch and HEAD reflog lines git writes: old and new commit, the committer, the message', () => {
    const dir = stateRepo();
    const before = git(dir, 'rev-parse', 'HEAD').trim();
    const run = cli(dir, ['log', 'reflog   check\twith tabs']);
    expect(run.code, run.stderr).toBe(0);
    const after = git(dir, 'rev-parse', 'HEAD').trim();
    const committer = git(dir, 'log', '-1', '--format=%cn <%ce> %ct').trim();
    const expected = new RegExp(`^${before} ${after} ${committer.replace(/[.+]/g, '\\$&')} [+-]\\d{4}\\tcommit: agentstate: log reflog check with tabs$`);
    expect(lastLine(dir, '.git/logs/HEAD')).toMatch(expected);
    expect(lastLine(dir, '.git/logs/refs/heads/main')).toMatch(expected);
    expect(git(dir, 'reflog', '-1', '--format=%H %gs', 'main').trim()).toBe(`${after} commit: agentstate: log reflog check with tabs`);
    expectSound(dir);
  });

  it('a branch only in packed-refs, a detached HEAD, and an unborn branch in a subfolder', () => {
    const packed = stateRepo();
    git(packed, 'pack-refs', '--all', '--prune');
    expect(existsSync(join(packed, '.git/refs/heads/main'))).toBe(false);
    const old = git(packed, 'rev-parse', 'main').trim();
    expect(cli(packed, ['log', 'on a packed branch']).code).toBe(0);
    expect(git(packed, 'rev-parse', 'main^').trim()).toBe(old);
    expect(git(packed, 'show', 'main:.agentstate/events.yaml')).toContain('on a packed branch');
    expectSound(packed);

    const detached = stateRepo();
    git(detached, 'checkout', '-q', '--detach');
    const main = git(detached, 'rev-parse', 'main').trim();
    expect(cli(detached, ['log', 'on a detached HEAD']).code).toBe(0);
    expect(git(detached, 'rev-parse', 'HEAD^').trim()).toBe(main);
    expect(git(detached, 'rev-parse', 'main').trim()).toBe(main);
    expect(git(detached, 'reflog', '-1', '--format=%gs', 'HEAD').trim()).toBe('commit: agentstate: log on a detached HEAD');

    const unborn = gitRepo({ empty: true });
    git(unborn, 'symbolic-ref', 'HEAD', 'refs/heads/feature/first');
    const init = cli(unborn, ['init']);
    expect(init.code, init.stderr).toBe(0);
    expect(git(unborn, 'rev-list', '--count', 'feature/first').trim()).toBe('1');
    expect(read(unborn, '.git/logs/refs/heads/feature/first')).toMatch(/^0{40} [0-9a-f]{40} /);
  });

  it('in a linked worktree: its own HEAD and reflog, the branch and its reflog in the common git dir', () => {
    const main = stateRepo();
    const linked = join(tempDir(), 'linked');
    git(main, 'worktree', 'add', '-q', '-b', 'side', linked);
    const before = git(linked, 'rev-parse', 'HEAD').trim();
    const run = cli(linked, ['log', 'from the linked worktree']);
    expect(run.code, run.stderr).toBe(0);
    expect(git(main, 'rev-parse', 'side^').trim()).toBe(before);
    expect(git(main, 'rev-parse', 'main').trim()).toBe(before);
    expect(git(main, 'show', 'side:.agentstate/events.yaml')).toContain('from the linked worktree');
    expect(git(linked, 'reflog', '-1', '--format=%gs', 'HEAD').trim()).toBe('commit: agentstate: log from the linked worktree');
    expect(git(main, 'reflog', '-1', '--format=%gs', 'side').trim()).toBe('commit: agentstate: log from the linked worktree');
    expect(git(main, 'reflog', '-1', '--format=%gs', 'HEAD').trim()).not.toMatch(/linked worktree/);
    expect(git(linked, 'status', '--porcelain')).toBe('');
  });

  it('core.logAllRefUpdates=false: no reflog is started, one that exists is appended to (as git does)', () => {
    const dir = stateRepo();
    git(dir, 'config', 'core.logAllRefUpdates', 'false');
    spawnSync('rm', ['-f', join(dir, '.git/logs/HEAD')]);
    const kept = read(dir, '.git/logs/refs/heads/main');
    expect(cli(dir, ['log', 'without a HEAD reflog']).code).toBe(0);
    expect(existsSync(join(dir, '.git/logs/HEAD'))).toBe(false);
    const after = read(dir, '.git/logs/refs/heads/main');
    expect(after.startsWith(kept)).toBe(true);
    expect(after.slice(kept.length)).toMatch(/^[0-9a-f]{40} [0-9a-f]{40} [^\n]*\tcommit: agentstate: log without a HEAD reflog\n$/);
  });

  it('a ref lock a git command holds is never taken: the write waits, then defers naming it, and the next command commits', () => {
    const dir = stateRepo();
    const head = git(dir, 'rev-parse', 'HEAD').trim();
    writeFileSync(join(dir, '.git/refs/heads/main.lock'), 'theirs\n');
    const held = cli(dir, ['log', 'while main.lock is held', '-q']);
    expect(held.code, held.stderr).toBe(0);
    expect(held.stderr).toMatch(/refs\/heads\/main\.lock is held/);
    expect(git(dir, 'rev-parse', 'HEAD').trim()).toBe(head);
    expect(read(dir, '.git/refs/heads/main.lock')).toBe('theirs\n');
    spawnSync('rm', [join(dir, '.git/refs/heads/main.lock')]);
    expect(cli(dir, ['log', 'after it was released']).code).toBe(0);
    const committed = git(dir, 'show', 'HEAD:.agentstate/events.yaml');
    expect(committed).toContain('while main.lock is held');
    expect(committed).toContain('after it was released');
    expectSound(dir);
  });

  it('a writer killed while moving HEAD: the next writer removes the ref locks it left and commits both records', async () => {
    const dir = stateRepo();
    const { done } = spawnCli(dir, ['log', 'killed moving HEAD'], { AGENTSTATE_FAULT: 'inside-ref-update' });
    expect((await done).signal).toBe('SIGKILL');
    expect(existsSync(join(dir, '.git/refs/heads/main.lock'))).toBe(true);
    expect(existsSync(join(dir, '.git/HEAD.lock'))).toBe(true);
    const next = cli(dir, ['log', 'the next writer']);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toBe('');
    const committed = git(dir, 'show', 'HEAD:.agentstate/events.yaml');
    expect(committed).toContain('killed moving HEAD');
    expect(committed).toContain('the next writer');
    expectSound(dir);
    writeFileSync(join(dir, 'user.txt'), 'the user commits as usual\n');
    git(dir, 'add', 'user.txt');
    expect(spawnSync('git', ['commit', '-q', '-m', 'user'], { cwd: dir }).status).toBe(0);
  });

  it('a repository whose settings only git resolves (an include) is left to git update-ref, with the same result', () => {
    const dir = stateRepo();
    mkdirSync(join(dir, '.git/extra'), { recursive: true });
    writeFileSync(join(dir, '.git/extra/config'), '[core]\n\tlogAllRefUpdates = true\n');
    git(dir, 'config', 'include.path', 'extra/config');
    const trace = join(dir, '.git/trace');
    const run = cli(dir, ['log', 'through git'], { GIT_TRACE: trace });
    expect(run.code, run.stderr).toBe(0);
    expect(read(dir, '.git/trace')).toMatch(/update-ref/);
    expect(git(dir, 'reflog', '-1', '--format=%gs', 'main').trim()).toBe('commit: agentstate: log through git');
    expectSound(dir);
  });
});
