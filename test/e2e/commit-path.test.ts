import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, filesOf, git, gitRepo, read, spawnCli, stateRepo, tempDir, untilStopped } from '../helpers/cli.js';

/** The index agrees with HEAD for the state files, its cache tree is right, and fsck is clean. */
function expectIndexInSync(dir: string): void {
  expect(git(dir, 'diff', '--cached', '--name-only')).toBe('');
  expect(git(dir, 'write-tree').trim()).toBe(git(dir, 'rev-parse', 'HEAD^{tree}').trim());
  expect(spawnSync('git', ['fsck', '--no-progress', '--strict'], { cwd: dir, encoding: 'utf8' }).status).toBe(0);
}

function manyFiles(dir: string, count: number): void {
  for (let d = 0; d < count / 50; d++) {
    mkdirSync(join(dir, 'src', `m${d}`), { recursive: true });
    for (let f = 0; f < 50; f++) writeFileSync(join(dir, 'src', `m${d}`, `f${f}.ts`), `export const v = ${d * 50 + f};\n`);
  }
  git(dir, 'add', 'src');
  git(dir, 'commit', '-qm', 'many files');
}

describe('the plumbing commit path', () => {
  it.each([
    ['index version 2', []],
    ['index version 4 (path compression)', ['update-index', '--index-version', '4']],
    ['split index (git itself updates it)', ['update-index', '--split-index']],
    ['untracked cache', ['update-index', '--untracked-cache']],
  ])('%s: exactly the state files committed, the user index and cache tree right, fsck clean', (_name, setup) => {
    const dir = gitRepo();
    manyFiles(dir, 500);
    if (setup.length) git(dir, ...setup);
    expect(cli(dir, ['init']).code).toBe(0);
    writeFileSync(join(dir, 'README.md'), '# staged change\n');
    git(dir, 'add', 'README.md');
    writeFileSync(join(dir, 'src/m0/f0.ts'), 'export const v = "unstaged";\n');
    const before = git(dir, 'status', '--porcelain');
    for (const args of [['log', 'one'], ['decide', 'two', '--why', 'w'], ['backlog', 'add', 'three'], ['state', 'set', 'x=1']]) {
      const run = cli(dir, args);
      expect(run.code, run.stderr).toBe(0);
      expect(filesOf(dir).every((path) => path.startsWith('.agentstate/') || path === 'AGENTS.md'), filesOf(dir).join(',')).toBe(true);
    }
    expect(git(dir, 'status', '--porcelain')).toBe(before);
    expect(git(dir, 'diff', '--cached', '--name-only').trim()).toBe('README.md');
    git(dir, 'reset', '-q', 'README.md');
    git(dir, 'checkout', '--', 'README.md', 'src');
    expectIndexInSync(dir);
    expect(git(dir, 'reflog', '-1', '--format=%gs')).toMatch(/^commit: agentstate: state set/);
  });

  it('the index shape remembered for the next write is used only where it fits: the user\'s git add in between, a shape with wrong offsets', () => {
    const dir = gitRepo();
    manyFiles(dir, 100);
    expect(cli(dir, ['init']).code).toBe(0);
    expect(cli(dir, ['decide', 'one', '--why', 'w']).code).toBe(0);
    expect(cli(dir, ['log', 'two']).code).toBe(0);
    const shapePath = join(dir, '.git/agentstate/index-shape');
    const shape = JSON.parse(read(dir, '.git/agentstate/index-shape')) as { offsets: Record<string, number> };
    expect(Object.keys(shape.offsets)).toEqual(expect.arrayContaining(['.agentstate/events.yaml', '.agentstate/decisions.yaml', 'AGENTS.md']));
    // The same index, its entries said to be elsewhere (events and decisions swapped): each name is checked.
    const { offsets } = shape;
    [offsets['.agentstate/events.yaml'], offsets['.agentstate/decisions.yaml']] = [offsets['.agentstate/decisions.yaml']!, offsets['.agentstate/events.yaml']!];
    writeFileSync(shapePath, JSON.stringify(shape));
    expect(cli(dir, ['decide', 'three', '--why', 'w']).code).toBe(0);
    expectIndexInSync(dir);
    // The user stages a file that sorts before the state folder: every state entry moves.
    writeFileSync(join(dir, '.aardvark'), 'staged\n');
    git(dir, 'add', '.aardvark');
    for (const args of [['log', 'four'], ['decide', 'five', '--why', 'w']]) expect(cli(dir, args).code).toBe(0);
    expect(git(dir, 'diff', '--cached', '--name-only').trim()).toBe('.aardvark');
    git(dir, 'reset', '-q', '.aardvark');
    expectIndexInSync(dir);
  });

  it('runs no hook of the user\'s (reference-transaction, post-index-change, post-commit)', () => {
    const dir = stateRepo();
    const marker = join(dir, 'hook-ran');
    for (const hook of ['reference-transaction', 'post-index-change', 'post-commit', 'pre-commit']) {
      writeFileSync(join(dir, '.git/hooks', hook), `#!/bin/sh\necho ${hook} >> "${marker}"\n`);
      chmodSync(join(dir, '.git/hooks', hook), 0o755);
    }
    expect(cli(dir, ['log', 'no hooks']).code).toBe(0);
    expect(spawnSync('test', ['-e', marker]).status).not.toBe(0);
  });

  it('a HEAD moved between building the commit and moving the ref is built upon, never overwritten', async () => {
    const dir = stateRepo();
    const writer = spawnCli(dir, ['log', 'raced', '-q'], { AGENTSTATE_STALL: 'before-update-ref' });
    await untilStopped(writer.child.pid!);
    const tree = git(dir, 'rev-parse', 'HEAD^{tree}').trim();
    const theirs = git(dir, 'commit-tree', tree, '-p', 'HEAD', '-m', 'moved meanwhile').trim();
    git(dir, 'update-ref', 'HEAD', theirs);
    writer.child.kill('SIGCONT');
    const done = await writer.done;
    expect(done.code, done.stderr).toBe(0);
    expect(git(dir, 'rev-parse', 'HEAD~1').trim()).toBe(theirs);
    expect(git(dir, 'show', 'HEAD:.agentstate/events.yaml')).toContain(done.stdout.trim());
    expectIndexInSync(dir);
  });

  it('a state file left unmerged in the index (a conflicted stash pop) defers the commit before HEAD moves', () => {
    const dir = stateRepo();
    const blob = git(dir, 'rev-parse', ':.agentstate/events.yaml').trim();
    const unmerged = [1, 2, 3].map((stage) => `100644 ${blob} ${stage}\t.agentstate/events.yaml\n`).join('');
    spawnSync('git', ['update-index', '--index-info'], { cwd: dir, input: `0 ${'0'.repeat(40)}\t.agentstate/events.yaml\n${unmerged}` });
    expect(git(dir, 'ls-files', '-u')).toMatch(/events\.yaml/);
    const head = git(dir, 'rev-parse', 'HEAD');
    const run = cli(dir, ['log', 'while unmerged', '-q']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/unresolved conflict/);
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(head);
    expect(git(dir, 'ls-files', '-u')).toMatch(/events\.yaml/);
    git(dir, 'add', '.agentstate/events.yaml');
    expect(cli(dir, ['commit']).code).toBe(0);
    expect(git(dir, 'show', 'HEAD:.agentstate/events.yaml')).toContain(run.stdout.trim());
    expectIndexInSync(dir);
  });

  it('without a git identity, commits as agentstate <agentstate@localhost> and says so once', () => {
    const home = tempDir();
    const env = { HOME: home, XDG_CONFIG_HOME: home, GIT_CONFIG_NOSYSTEM: '1', EMAIL: undefined };
    const dir = tempDir();
    spawnSync('git', ['init', '-q', '-b', 'main'], { cwd: dir, env: { ...process.env, ...env } });
    const init = cli(dir, ['init'], env);
    expect(init.code, init.stderr).toBe(0);
    expect(init.stderr).toMatch(/agentstate <agentstate@localhost>/);
    const log = cli(dir, ['log', 'second'], env);
    expect(log.stderr).not.toMatch(/agentstate@localhost/);
    expect(git(dir, 'log', '-1', '--format=%an <%ae> / %cn <%ce>').trim()).toBe('agentstate <agentstate@localhost> / agentstate <agentstate@localhost>');
  });
});

describe('signed commits follow the user\'s git', () => {
  function sshSigning(dir: string): void {
    const key = join(tempDir(), 'key');
    spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    git(dir, 'config', 'gpg.format', 'ssh');
    git(dir, 'config', 'user.signingkey', key);
    git(dir, 'config', 'commit.gpgsign', 'true');
  }

  it('git.sign auto with commit.gpgSign: state commits are signed', () => {
    const dir = stateRepo();
    sshSigning(dir);
    expect(cli(dir, ['log', 'signed']).code).toBe(0);
    expect(git(dir, 'cat-file', '-p', 'HEAD')).toMatch(/^gpgsig -----BEGIN SSH SIGNATURE-----/m);
    writeFileSync(join(dir, '.agentstate/config.yaml'), read(dir, '.agentstate/config.yaml').replace('sign: auto', 'sign: never'));
    expect(cli(dir, ['log', 'unsigned']).code).toBe(0);
    expect(git(dir, 'cat-file', '-p', 'HEAD')).not.toMatch(/^gpgsig/m);
  });

  it('a signing failure defers the commit with one line saying why, and never prompts', () => {
    const dir = stateRepo();
    git(dir, 'config', 'commit.gpgsign', 'true');
    git(dir, 'config', 'gpg.program', '/bin/false');
    const head = git(dir, 'rev-parse', 'HEAD');
    const run = cli(dir, ['log', 'cannot sign', '-q']);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/signing the commit failed/);
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(head);
    expect(read(dir, '.agentstate/events.yaml')).toContain(run.stdout.trim());
    git(dir, 'config', 'commit.gpgsign', 'false');
    expect(cli(dir, ['commit']).code).toBe(0);
    expect(git(dir, 'show', 'HEAD:.agentstate/events.yaml')).toContain(run.stdout.trim());
  });
});
