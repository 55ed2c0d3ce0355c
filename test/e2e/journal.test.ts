import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, baseEnv, cli, cliAsync, git, read, spawnCli, stateRepo, tempDir, untilStopped } from '../helpers/cli.js';

const EVENTS = '.agentstate/events.yaml';
const count = (text: string, id: string) => text.split(`"id":"${id}"`).length - 1;

/** Every id present exactly once in the work tree and in HEAD. */
function expectOnce(dir: string, ids: string[]): void {
  const work = read(dir, EVENTS);
  const head = git(dir, 'show', `HEAD:${EVENTS}`);
  for (const id of ids) {
    expect(count(work, id), `${id} in the work tree`).toBe(1);
    expect(count(head, id), `${id} in HEAD`).toBe(1);
  }
}

describe('a record acknowledged survives the user\'s own git commands', () => {
  it.each([
    ['git stash, then git stash pop', ['stash', 'push', '-q'], ['stash', 'pop', '-q']],
    ['git checkout -- .agentstate', ['checkout', '--', '.agentstate'], undefined],
    ['git reset --hard', ['reset', '-q', '--hard'], undefined],
  ])('%s between the write and the commit: the record is in HEAD and back in the work tree after the next command', async (_name, first, second) => {
    const dir = stateRepo();
    const earlier = cli(dir, ['log', 'earlier', '-q']).stdout.trim();
    const writer = spawnCli(dir, ['log', 'raced', '-q'], { AGENTSTATE_STALL: 'before-commit' });
    await untilStopped(writer.child.pid!);
    git(dir, ...first);
    writer.child.kill('SIGCONT');
    const raced = await writer.done;
    expect(raced.code, raced.stderr).toBe(0);
    if (second) git(dir, ...second);
    const next = cli(dir, ['log', 'next', '-q']);
    expect(next.code, next.stderr).toBe(0);
    expectOnce(dir, [earlier, raced.stdout.trim(), next.stdout.trim()]);
    expect(cli(dir, ['check']).code).toBe(0);
    expect(git(dir, 'status', '--porcelain')).toBe('');
  });

  it('git reset --hard HEAD~1 right after a state commit: the next command puts the record back', () => {
    const dir = stateRepo();
    const id = cli(dir, ['log', 'undone by a reset', '-q']).stdout.trim();
    git(dir, 'reset', '-q', '--hard', 'HEAD~1');
    expect(read(dir, EVENTS)).not.toContain(id);
    const next = cli(dir, ['log', 'next', '-q']);
    expect(next.code).toBe(0);
    expect(next.stderr).toMatch(/put back 1 acknowledged record/);
    expectOnce(dir, [id, next.stdout.trim()]);
  });

  it('writers racing git stash / pop, checkout and reset --hard: every acknowledged record is there exactly once afterwards', async () => {
    const dir = stateRepo();
    const acknowledged: string[] = [];
    let running = true;
    const writers = Array.from({ length: 3 }, async (_, w) => {
      for (let i = 0; i < 12; i++) {
        const run = await cliAsync(dir, ['log', `w${w}-${i}`, '-q']);
        if (run.code === 0) acknowledged.push(run.stdout.trim());
        else expect(run.code, run.stderr).toBe(5);
      }
    });
    const user = (async () => {
      const moves = [['stash', 'push', '-q'], ['stash', 'pop', '-q'], ['checkout', '--', '.agentstate'], ['reset', '-q', '--hard']];
      let n = 0;
      while (running) {
        spawnSync('git', moves[n++ % moves.length]!, { cwd: dir, env: baseEnv() });
        await new Promise((resolve) => setTimeout(resolve, 15));
      }
    })();
    await Promise.all(writers);
    running = false;
    await user;
    spawnSync('git', ['checkout', '--', '.'], { cwd: dir, env: baseEnv() }); // leave no half-popped stash behind
    const final = cli(dir, ['log', 'final', '-q']);
    expect(final.code, final.stderr).toBe(0);
    expect(acknowledged.length).toBeGreaterThan(20);
    expectOnce(dir, [...acknowledged, final.stdout.trim()]);
    console.log(`journal race: ${acknowledged.length} acknowledged, 0 lost, 0 doubled`);
  });
});

describe('a missing file is restored, never deleted', () => {
  it('rm events.yaml, then log: the file comes back from HEAD with every record, and no commit removes one', () => {
    const dir = stateRepo();
    const ids = ['one', 'two'].map((summary) => cli(dir, ['log', summary, '-q']).stdout.trim());
    rmSync(join(dir, EVENTS));
    const next = cli(dir, ['log', 'three', '-q']);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toMatch(/restored events\.yaml from HEAD/);
    expectOnce(dir, [...ids, next.stdout.trim()]);
    rmSync(join(dir, EVENTS));
    const repair = cli(dir, ['doctor', '--repair']);
    expect(repair.code, repair.stderr).toBe(0);
    expectOnce(dir, [...ids, next.stdout.trim()]);
    for (const sha of git(dir, 'rev-list', 'HEAD').trim().split('\n')) {
      const diff = git(dir, 'show', '--format=', '--unified=0', sha, '--', EVENTS);
      expect(diff.split('\n').filter((line) => line.startsWith('-- {'))).toEqual([]);
    }
  });

  it('a sparse checkout that leaves .agentstate out: init and log stop with exit 1 and write nothing', () => {
    const dir = stateRepo();
    cli(dir, ['log', 'kept', '-q']);
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src/app.ts'), 'export {};\n');
    git(dir, 'add', 'src');
    git(dir, 'commit', '-qm', 'src');
    git(dir, 'sparse-checkout', 'set', 'src');
    expect(existsSync(join(dir, '.agentstate/events.yaml'))).toBe(false);
    const head = git(dir, 'rev-parse', 'HEAD');
    for (const args of [['init'], ['log', 'x']]) {
      const run = cli(dir, args);
      expect(run.code, `${args[0]}: ${run.stderr}`).toBe(1);
      expect(run.stderr).toMatch(/sparse/);
    }
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(head);
    expect(existsSync(join(dir, '.agentstate/events.yaml'))).toBe(false);
  });
});

describe('"nothing written" is true', () => {
  const snapshot = (dir: string) => Object.fromEntries(['decisions.yaml', 'decisions-index.yaml', 'events.yaml', 'backlog.yaml'].map((name) => [name, read(dir, `.agentstate/${name}`)]));

  it('decide on a decisions.yaml with a damaged line: exit 1, every file byte-identical', () => {
    const dir = stateRepo();
    cli(dir, ['decide', 'first', '--why', 'w']);
    writeFileSync(join(dir, '.agentstate/decisions.yaml'), read(dir, '.agentstate/decisions.yaml').replace(/\}\n$/, '\n- {"id": broken\n'));
    const before = snapshot(dir);
    const run = cli(dir, ['decide', 'second', '--why', 'w']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/decisions\.yaml:\d+/);
    expect(snapshot(dir)).toEqual(before);
  });

  it('decisions-index.yaml a symbolic link: exit 2, the chain byte-identical, the link untouched', () => {
    const dir = stateRepo();
    const outside = join(tempDir(), 'elsewhere.yaml');
    writeFileSync(outside, 'not ours\n');
    rmSync(join(dir, '.agentstate/decisions-index.yaml'));
    symlinkSync(outside, join(dir, '.agentstate/decisions-index.yaml'));
    const chain = read(dir, '.agentstate/decisions.yaml');
    const run = cli(dir, ['decide', 'refused', '--why', 'w']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/symbolic link/);
    expect(read(dir, '.agentstate/decisions.yaml')).toBe(chain);
    expect(lstatSync(join(dir, '.agentstate/decisions-index.yaml')).isSymbolicLink()).toBe(true);
    expect(readFileSync(outside, 'utf8')).toBe('not ours\n');
  });

  it('log to an events.yaml with a line that is not a record: exit 1, byte-identical', () => {
    const dir = stateRepo();
    cli(dir, ['log', 'fine']);
    writeFileSync(join(dir, EVENTS), read(dir, EVENTS).replace('events:\n', 'events:\nthis is not yaml: [\n'));
    const before = read(dir, EVENTS);
    const run = cli(dir, ['log', 'refused']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/events\.yaml:\d+/);
    expect(read(dir, EVENTS)).toBe(before);
  });

  it('a read-only state folder (an unprivileged user): non-zero exit naming the file, every file byte-identical', () => {
    const dir = stateRepo();
    cli(dir, ['decide', 'first', '--why', 'w']);
    const home = tempDir();
    spawnSync('chown', ['-R', 'nobody', dir, home]);
    chmodSync(join(dir, '.agentstate'), 0o555);
    chownSync(join(dir, '.agentstate/decisions.yaml'), 0, 0);
    const before = snapshot(dir);
    const run = spawnSync(process.execPath, [BIN, 'decide', 'refused', '--why', 'w'], {
      cwd: dir,
      uid: 65534,
      gid: 65534,
      env: baseEnv({ HOME: home, AGENTSTATE_NO_CACHE: '1' }),
      encoding: 'utf8',
    });
    expect(run.status, run.stderr).not.toBe(0);
    expect(run.stderr).toMatch(/\.agentstate\/\S+: |cannot write/);
    expect(run.stderr).not.toMatch(/this is a bug/);
    expect(snapshot(dir)).toEqual(before);
  });
});
