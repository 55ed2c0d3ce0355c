import { spawn } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, baseEnv, cli, cliAsync, git, json, readYaml, read, stateRepo } from '../helpers/cli.js';

const CHAIN = '.agentstate/decisions.yaml';
const INDEX = '.agentstate/decisions-index.yaml';

type View = { id: string; status: string; title: string };
const decisions = (dir: string, ...flags: string[]) => json<{ decisions: View[] }>(cli(dir, ['decisions', '--json', ...flags])).decisions;

describe('decide and outcome', () => {
  it('an open decision is listed until an outcome given by a unique prefix closes it', () => {
    const dir = stateRepo();
    const decide = cli(dir, ['decide', 'Use optimistic locking', '--why', 'conflicts are rare', '--action', 'add --expect-version', '--tag', 'concurrency']);
    expect(decide.code, decide.stderr).toBe(0);
    const id = decide.stdout.trim();
    expect(id).toMatch(/^d-[0-9a-z]{10}$/);
    expect(decisions(dir, '--open').map((d) => d.id)).toEqual([id]);
    expect(git(dir, 'show', '--name-only', '--format=', 'HEAD').trim().split('\n').sort()).toEqual(['.agentstate/decisions-index.yaml', '.agentstate/decisions.yaml', 'AGENTS.md']);

    const outcome = cli(dir, ['outcome', id.slice(2, 7), 'done', '--note', 'shipped']);
    expect(outcome.code, outcome.stderr).toBe(0);
    expect(decisions(dir, '--open')).toEqual([]);
    expect(decisions(dir, '--all').map((d) => [d.id, d.status])).toEqual([[id, 'done']]);

    const again = cli(dir, ['outcome', id, 'failed']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already closed/);
    // That error was raised holding the state lock: it is released all the same.
    expect(existsSync(join(dir, '.git/agentstate/state.lock'))).toBe(false);
  });

  it('unknown id exits 3, missing --why exits 2, and neither writes anything', () => {
    const dir = stateRepo();
    const before = read(dir, CHAIN);
    expect(cli(dir, ['outcome', 'd-zzzzzz', 'done']).code).toBe(3);
    expect(cli(dir, ['decide', 'no reason given']).code).toBe(2);
    expect(cli(dir, ['decide', 'empty reason', '--why', '']).code).toBe(2);
    expect(cli(dir, ['outcome', '../../etc/passwd', 'done']).code).toBe(2);
    expect(read(dir, CHAIN)).toBe(before);
    expect(git(dir, 'status', '--porcelain')).toBe('');
  });

  it('a standing order is listed by --standing until revoked', () => {
    const dir = stateRepo();
    const id = cli(dir, ['decide', 'Never push to main', '--why', 'CI gates releases', '--standing']).stdout.trim();
    expect(decisions(dir, '--standing').map((d) => d.id)).toEqual([id]);
    expect(cli(dir, ['outcome', id, 'done']).code).toBe(2);
    expect(cli(dir, ['revoke', id, '--why', 'trunk-based now']).code).toBe(0);
    expect(decisions(dir, '--standing')).toEqual([]);
    expect(decisions(dir, '--all')[0]?.status).toBe('revoked');
  });

  it('every committed version of decisions.yaml is a byte prefix of the next', () => {
    const dir = stateRepo();
    const ids = [1, 2, 3].map((n) => cli(dir, ['decide', `decision ${n}`, '--why', 'because']).stdout.trim());
    cli(dir, ['outcome', ids[0]!, 'done']);
    cli(dir, ['outcome', ids[1]!, 'abandoned']);
    const commits = git(dir, 'log', '--format=%H', '--reverse', '--', CHAIN).trim().split('\n');
    expect(commits.length).toBe(6);
    const versions = commits.map((sha) => git(dir, 'show', `${sha}:${CHAIN}`));
    for (let i = 1; i < versions.length; i++) expect(versions[i]!.startsWith(versions[i - 1]!)).toBe(true);
  });

  it('8 processes deciding at once: none lost, ids unique, index consistent with the chain', async () => {
    const dir = stateRepo();
    const runs = await Promise.all(Array.from({ length: 8 }, (_, i) => cliAsync(dir, ['decide', `parallel ${i}`, '--why', 'load'])));
    expect(runs.map((run) => run.code)).toEqual(Array(8).fill(0));
    const chain = readYaml(join(dir, CHAIN)) as { decisions: Array<{ id: string }> };
    expect(new Set(chain.decisions.map((d) => d.id)).size).toBe(8);
    const index = readYaml(join(dir, INDEX)) as { count: number; open: Array<{ id: string }> };
    expect(index.count).toBe(8);
    expect(index.open.map((d) => d.id).sort()).toEqual(chain.decisions.map((d) => d.id).sort());
    expect(git(dir, 'status', '--porcelain')).toBe('');
  });

  it('a process killed after decide and before outcome leaves the decision open, at the top of resume', async () => {
    const dir = stateRepo();
    const script = `id=$("${process.execPath}" "${BIN}" decide "Migrate the sessions table" --why "schema v2") && echo "$id" && sleep 30 && "${process.execPath}" "${BIN}" outcome "$id" done`;
    const child = spawn('sh', ['-c', script], { cwd: dir, env: baseEnv() });
    const id = await new Promise<string>((resolve) => child.stdout.on('data', (chunk: Buffer) => resolve(chunk.toString().trim())));
    process.kill(child.pid!, 'SIGKILL');
    expect(id).toMatch(/^d-/);
    expect(decisions(dir, '--open').map((d) => d.id)).toEqual([id]);
    const resume = cli(dir, ['resume']).stdout;
    const firstSection = resume.split('\n').find((line) => line.startsWith('## '));
    expect(firstSection).toBe('## Open decisions');
    expect(resume.indexOf(id)).toBeGreaterThan(0);
    expect(resume.indexOf(id)).toBeLessThan(resume.indexOf('## Standing orders'));
  });

  it('decisions.yaml and decisions-index.yaml parse with an independent YAML parser', () => {
    const dir = stateRepo();
    const id = cli(dir, ['decide', 'Quote "this" and: that', '--why', 'colons: and # hashes', '--tag', 'x']).stdout.trim();
    cli(dir, ['decide', 'Standing', '--why', 'w', '--standing']);
    const chain = readYaml(join(dir, CHAIN)) as { schema: number; decisions: Array<Record<string, unknown>> };
    expect(chain.schema).toBe(1);
    expect(chain.decisions[0]).toMatchObject({ id, kind: 'decision', title: 'Quote "this" and: that', why: 'colons: and # hashes', standing: false, tags: ['x'] });
    const index = readYaml(join(dir, INDEX)) as { standing: unknown[]; open: unknown[]; recent: unknown[] };
    expect(index.standing).toHaveLength(1);
    expect(index.open).toHaveLength(1);
    expect(index.recent).toHaveLength(2);
  });

  it('a handoff is shown first by resume and in the AGENTS.md block', () => {
    const dir = stateRepo();
    cli(dir, ['decide', 'Open one', '--why', 'w']);
    const run = cli(dir, ['handoff', '--done', 'auth refactor', '--remaining', 'sessions table', '--uncertain', 'cache TTL', '--note', 'see PR 12']);
    expect(run.code, run.stderr).toBe(0);
    const resume = cli(dir, ['resume']).stdout;
    const sections = resume.split('\n').filter((line) => line.startsWith('## '));
    expect(sections[0]).toMatch(/^## Latest handoff/);
    expect(sections[1]).toBe('## Open decisions');
    expect(resume).toContain('  - sessions table');
    expect(read(dir, 'AGENTS.md')).toContain('  - cache TTL');
  });
  it('the index each decision command writes from the one before is the index the whole chain gives, and its AGENTS.md block the one the files give', () => {
    const dir = stateRepo();
    const config = join(dir, '.agentstate/config.yaml');
    writeFileSync(config, read(dir, '.agentstate/config.yaml').replace(/recent: 10 /, 'recent: 3 '));
    git(dir, 'commit', '-qam', 'three recent decisions');
    const step = (args: string[]) => {
      const result = cli(dir, args);
      expect(result.code, result.stderr).toBe(0);
      const written = read(dir, INDEX);
      const block = read(dir, 'AGENTS.md');
      expect(cli(dir, ['boot', '--check']).code).toBe(0); // the block is the one the state files give
      rmSync(join(dir, INDEX));
      expect(cli(dir, ['doctor', '--repair']).code).toBe(0); // regenerated from the whole chain
      expect(written).toBe(read(dir, INDEX));
      expect(read(dir, 'AGENTS.md')).toBe(block);
      return result.stdout.trim();
    };
    const first = step(['decide', 'first', '--why', 'w', '-q']);
    const order = step(['decide', 'an order', '--why', 'w', '--standing', '-q']);
    const third = step(['decide', 'third', '--why', 'w', '--tag', 'x', '-q']);
    step(['decide', 'fourth', '--why', 'w', '-q']);
    const fifth = step(['decide', 'fifth', '--why', 'w', '--expect', 'file:README.md', '-q']);
    step(['outcome', first, 'done', '--note', 'out of the recent ones']);
    step(['outcome', fifth, 'failed']);
    step(['revoke', order, '--why', 'no longer']);
    step(['outcome', third.slice(0, 7), 'abandoned']); // a prefix: found in the whole chain
    const index = readYaml(join(dir, INDEX)) as { count: number; open: Array<{ title: string }>; standing: unknown[]; recent: Array<{ title: string; status: string }> };
    expect(index.count).toBe(5);
    expect(index.open.map((d) => d.title)).toEqual(['fourth']);
    expect(index.standing).toEqual([]);
    expect(index.recent.map((d) => [d.title, d.status])).toEqual([['third', 'abandoned'], ['fourth', 'open'], ['fifth', 'failed']]);
  });
});
