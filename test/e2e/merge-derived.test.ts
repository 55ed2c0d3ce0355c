import { spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, git, json, read, stateRepo } from '../helpers/cli.js';
import { cluster, ok, pull, push } from '../helpers/clones.js';

const handoffOf = (dir: string) => json<{ handoff?: { id: string } }>(cli(dir, ['resume', '--format', 'json'])).handoff?.id;
const blockHandoff = (dir: string) => /### Latest handoff \([^,]*, [^,]*, (ev-[0-9a-z]+)\)/.exec(read(dir, 'AGENTS.md'))?.[1];

describe('derived state after a merge', () => {
  it('the latest handoff is the latest by time, in resume and in the AGENTS.md block, across a sealed segment', () => {
    const { alice, bob } = cluster(['alice', 'bob'], { config: (text) => text.replace('seal_bytes: 262144', 'seal_bytes: 900') });
    ok(bob, 'handoff', '--note', 'bob, earlier');
    const later = ok(alice, 'handoff', '--note', 'alice, later');
    for (let i = 0; i < 6; i++) ok(alice, 'log', `alice ${i} ${'x'.repeat(80)}`);
    expect(readdirSync(join(alice, '.agentstate/archive')).some((name) => name.startsWith('events.'))).toBe(true);
    expect(read(alice, '.agentstate/events.yaml')).not.toContain(later);
    push(alice);
    const merged = pull(bob);
    expect(merged.status, merged.stderr).toBe(0);
    expect(handoffOf(bob)).toBe(later);
    expect(blockHandoff(bob)).toBe(later);
  });

  /** A cherry-pick: git merges with the picked commit's parent, and no driver can tell the other side, so the derived files keep ours. */
  function staleAfterCherryPick(): string {
    const dir = stateRepo();
    git(dir, 'checkout', '-q', '-b', 'side');
    ok(dir, 'decide', 'on the side branch', '--why', 'x');
    git(dir, 'checkout', '-q', 'main');
    ok(dir, 'decide', 'on main', '--why', 'y');
    const picked = spawnSync('git', ['cherry-pick', 'side'], { cwd: dir, encoding: 'utf8' });
    expect(picked.status, picked.stderr).toBe(0);
    return dir;
  }
  const indexFindings = (dir: string) => cli(dir, ['check']).stdout.split('\n').filter((line) => line.includes('decisions-index.yaml'));

  it('two clones whose agents have names of one length close one decision: the index in the merge commit is fresh', () => {
    const { c1, c2 } = cluster(['c1', 'c2']);
    const decision = ok(c1, 'decide', 'ship it', '--why', 'ready');
    push(c1);
    expect(pull(c2).status).toBe(0);
    ok(c1, 'outcome', decision, 'done');
    push(c1);
    ok(c2, 'outcome', decision, 'done');
    const merged = pull(c2);
    expect(merged.status, merged.stderr).toBe(0);
    expect(git(c2, 'rev-list', '--parents', '-1', 'HEAD').trim().split(' ')).toHaveLength(3);
    expect(indexFindings(c2)).toEqual([]);
  });

  it('`boot` regenerates every derived file: decisions-index.yaml too', () => {
    const dir = staleAfterCherryPick();
    expect(indexFindings(dir)).toHaveLength(1);
    ok(dir, 'boot');
    expect(indexFindings(dir)).toEqual([]);
    expect(git(dir, 'status', '--porcelain')).toBe('');
  });

  it('the next write command regenerates derived files a merge left stale, in its own commit', () => {
    const dir = staleAfterCherryPick();
    expect(indexFindings(dir)).toHaveLength(1);
    ok(dir, 'log', 'after the merge');
    expect(indexFindings(dir)).toEqual([]);
    expect(git(dir, 'show', '--name-only', '--format=', 'HEAD')).toContain('.agentstate/decisions-index.yaml');
    expect(git(dir, 'status', '--porcelain')).toBe('');
  });

  it('a criss-cross merge across a seal: the derived files are made from the base git merges with, not a recomputed merge-base', () => {
    const { a, b } = cluster(['a', 'b'], { config: (text) => text.replace('seal_bytes: 262144', 'seal_bytes: 1000') });
    ok(a, 'decide', 'from a', '--why', 'x');
    ok(b, 'decide', 'from b', '--why', 'y');
    // Each merges the other's tip: two merge bases from now on.
    const peerPull = (dir: string, peer: string) => spawnSync('git', ['pull', '-q', '--no-edit', '--no-rebase', peer, 'main'], { cwd: dir, encoding: 'utf8' });
    const [aTip, bTip] = [git(a, 'rev-parse', 'HEAD').trim(), git(b, 'rev-parse', 'HEAD').trim()];
    expect(peerPull(a, b).status).toBe(0);
    git(b, 'fetch', '-q', a, aTip);
    expect(spawnSync('git', ['merge', '-q', '--no-edit', aTip], { cwd: b, encoding: 'utf8' }).status).toBe(0);
    expect(git(a, 'merge-base', '--all', 'HEAD', bTip).trim()).toBe(bTip);
    // a seals its decisions, b does not.
    for (let i = 0; i < 3; i++) ok(a, 'decide', `a again ${i} ${'x'.repeat(150)}`, '--why', 'z');
    expect(readdirSync(join(a, '.agentstate/archive')).some((name) => name.startsWith('decisions.'))).toBe(true);
    ok(b, 'decide', 'b again', '--why', 'w');
    git(b, 'fetch', '-q', a, 'main');
    expect(git(b, 'merge-base', '--all', 'HEAD', 'FETCH_HEAD').trim().split('\n')).toHaveLength(2);
    const merged = peerPull(b, a);
    expect(merged.status, merged.stderr).toBe(0);
    expect(git(b, 'rev-list', '--parents', '-1', 'HEAD').trim().split(' ')).toHaveLength(3);
    expect(indexFindings(b)).toEqual([]);
    expect(cli(b, ['boot', '--check']).code).toBe(0);
  });

  it('lessons learned on two clones: the block of the merge commit itself shows both (the boot driver merges learnings.yaml too)', () => {
    const { alice, bob } = cluster(['alice', 'bob']);
    ok(alice, 'learn', 'alice found this');
    push(alice);
    ok(bob, 'learn', 'bob found that');
    const merged = pull(bob);
    expect(merged.status, merged.stderr).toBe(0);
    expect(git(bob, 'rev-list', '--parents', '-1', 'HEAD').trim().split(' ')).toHaveLength(3);
    const block = git(bob, 'show', 'HEAD:AGENTS.md');
    expect(block).toContain('alice found this');
    expect(block).toContain('bob found that');
    expect(git(bob, 'status', '--porcelain'), 'the post-merge hook found nothing left to regenerate').toBe('');
    expect(merged.stderr).not.toMatch(/nothing was committed/);
  });

  it('pull --rebase with the hooks installed: the post-rewrite hook finds the replayed records committed and says nothing', () => {
    const { alice, bob } = cluster(['alice', 'bob']);
    ok(alice, 'log', 'from alice');
    push(alice);
    ok(bob, 'log', 'from bob, replayed by the rebase');
    const rebased = pull(bob, '--rebase');
    expect(rebased.status, rebased.stderr).toBe(0);
    expect(rebased.stderr).not.toMatch(/nothing was committed/);
    expect(git(bob, 'status', '--porcelain')).toBe('');
  });

  it('the next write command regenerates the block when only learnings.yaml changed under it', () => {
    const dir = stateRepo();
    git(dir, 'checkout', '-q', '-b', 'side');
    ok(dir, 'learn', 'a lesson from the side branch');
    git(dir, 'checkout', '-q', 'main');
    ok(dir, 'log', 'on main');
    git(dir, 'checkout', 'side', '--', '.agentstate/learnings.yaml');
    git(dir, 'commit', '-q', '--no-verify', '-m', 'the lesson, taken by hand');
    expect(cli(dir, ['check']).code).toBe(1);
    ok(dir, 'log', 'the next write');
    expect(read(dir, 'AGENTS.md')).toContain('a lesson from the side branch');
    expect(cli(dir, ['check']).code).toBe(0);
    expect(git(dir, 'status', '--porcelain')).toBe('');
  });

  it('an index and a block an older version wrote (no source_digest, no state digest) pass check, and the next write brings them up to date', () => {
    const dir = stateRepo();
    ok(dir, 'decide', 'keep it', '--why', 'x');
    const INDEX = join(dir, '.agentstate/decisions-index.yaml');
    writeFileSync(INDEX, read(dir, '.agentstate/decisions-index.yaml').replace(/^source_digest: .*\n/m, ''));
    writeFileSync(join(dir, 'AGENTS.md'), read(dir, 'AGENTS.md').replace(/; state [0-9a-f]{16} -->/, ' -->'));
    git(dir, 'commit', '-qam', 'as 0.1 wrote it');
    expect(cli(dir, ['check']).code).toBe(0);
    ok(dir, 'log', 'anything');
    expect(read(dir, '.agentstate/decisions-index.yaml')).toMatch(/^source_digest: [0-9a-f]{16}$/m);
    expect(read(dir, 'AGENTS.md')).toMatch(/; state [0-9a-f]{16} -->/);
    expect(git(dir, 'status', '--porcelain')).toBe('');
  });

  it.each([['merge', []], ['rebase', ['--rebase']]])(
    'a change the block of one side does not show but the merged block does (a task below the first five): the block is fresh after a %s',
    (_, how) => {
      const { alice, bob } = cluster(['alice', 'bob']);
      const top = [1, 2, 3, 4, 5].map((n) => ok(alice, '--quiet', 'backlog', 'add', `urgent ${n}`, '--priority', 'P0'));
      const hidden = ok(alice, '--quiet', 'backlog', 'add', 'later', '--priority', 'P3');
      push(alice);
      expect(pull(bob).status).toBe(0);
      ok(bob, 'backlog', 'update', hidden, '--title', 'later, renamed by bob');
      ok(alice, 'backlog', 'update', top[0]!, '--status', 'done');
      push(alice);
      const merged = pull(bob, ...(how as string[]));
      expect(merged.status, merged.stderr).toBe(0);
      expect(read(bob, 'AGENTS.md')).toContain('later, renamed by bob');
      expect(cli(bob, ['boot', '--check']).code).toBe(0);
    },
  );
});
