import { spawnSync } from 'node:child_process';
import { cpSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, baseEnv, cli, git, gitRepo, json, read, readYaml } from '../helpers/cli.js';

/**
 * The example Makefile pipeline, run with GNU make (a prerequisite, see the README). Without make
 * this file is not collected and vitest.config.ts prints a notice; in CI it is required.
 */
const EXAMPLES = resolve(import.meta.dirname, '../../examples');
const AGENTSTATE = `"${process.execPath}" "${BIN}"`;

type Rec = { id: string; type?: string; once?: string; kind?: string };
const records = (dir: string, file: string, key: string) => ((readYaml(join(dir, '.agentstate', file)) as Record<string, Rec[] | null>)[key] ?? []);
const agentstateCommits = (dir: string) => git(dir, 'log', '--format=%s').split('\n').filter((s) => s.startsWith('agentstate: ') && !s.startsWith('agentstate: init')).length;

describe('the example pipeline', () => {
  it('make -j4, an injected failure, a re-run: every record once, one commit each, check passes', () => {
    const dir = gitRepo();
    cpSync(join(EXAMPLES, 'pipeline'), dir, { recursive: true });
    git(dir, 'add', '.');
    git(dir, 'commit', '-qm', 'pipeline');
    expect(cli(dir, ['init']).code).toBe(0);
    const make = (...args: string[]) => spawnSync('make', ['-j4', `AGENTSTATE=${AGENTSTATE}`, ...args], { cwd: dir, env: baseEnv(), encoding: 'utf8' });

    const failed = make('FAIL=test');
    expect(failed.status).not.toBe(0);
    const rerun = make();
    expect(rerun.status, rerun.stderr).toBe(0);
    expect(rerun.stdout).toContain('run demo recorded');

    const events = records(dir, 'events.yaml', 'events');
    for (const key of ['lint-demo', 'test-demo', 'build-demo', 'review-demo', 'handoff-demo']) {
      expect(events.filter((event) => event.once === key), key).toHaveLength(1);
    }
    const chain = records(dir, 'decisions.yaml', 'decisions');
    expect(chain.filter((record) => record.once === 'plan-demo')).toHaveLength(1);
    expect(chain.filter((record) => record.once === 'close-demo')).toHaveLength(1);
    const catches = json<{ catches: Array<{ control: string }> }>(cli(dir, ['catches', '--json'])).catches;
    expect(catches.map((row) => row.control)).toEqual(['test']);
    expect(agentstateCommits(dir)).toBe(events.length + chain.length + catches.length);
    expect(cli(dir, ['check']).code).toBe(0);
    expect(read(dir, '.review.txt')).toMatch(/^stub agent read a \d+-byte briefing/);

    const commits = agentstateCommits(dir);
    expect(make().status).toBe(0);
    expect(agentstateCommits(dir)).toBe(commits);
    expect(cli(dir, ['resume']).stdout.split('\n').find((line) => line.startsWith('## '))).toMatch(/^## Latest handoff/);
  });
});
