import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, git, readYaml, spawnCli, stateRepo } from '../helpers/cli.js';

type Records = { events: Array<{ id: string; summary: string }> | null };
type Chain = { decisions: Array<{ id: string }> | null };

/** After a crash: the next command works, nothing acknowledged is lost or doubled, repair makes check pass. */
async function expectRecovered(dir: string, acknowledgedEvents: string[], acknowledgedDecisions: string[] = []) {
  const next = cli(dir, ['log', 'after the crash']);
  expect(next.code, next.stderr).toBe(0);
  const repair = cli(dir, ['doctor', '--repair']);
  expect(repair.code, repair.stderr).toBe(0);
  const check = cli(dir, ['check']);
  expect(check.code, check.stdout + check.stderr).toBe(0);
  const events = (readYaml(join(dir, '.agentstate/events.yaml')) as Records).events ?? [];
  const ids = events.map((event) => event.id);
  for (const id of acknowledgedEvents) expect(ids.filter((other) => other === id), id).toHaveLength(1);
  const decisions = ((readYaml(join(dir, '.agentstate/decisions.yaml')) as Chain).decisions ?? []).map((d) => d.id);
  for (const id of acknowledgedDecisions) expect(decisions.filter((other) => other === id), id).toHaveLength(1);
  expect(new Set(ids).size).toBe(ids.length);
  readYaml(join(dir, '.agentstate/decisions-index.yaml'));
  readYaml(join(dir, '.agentstate/backlog.yaml'));
  const status = git(dir, 'status', '--porcelain', '--', '.agentstate', 'AGENTS.md');
  // Seen once in CI and never reproduced: say what the commands said, and how the index differs.
  const why = status ? [next.stderr, repair.stdout, git(dir, 'diff', '--stat'), git(dir, 'log', '--oneline', '-3'), cli(dir, ['doctor']).stdout].join('\n') : '';
  expect(status, why).toBe('');
  return { events: ids, decisions };
}

describe('crash safety', () => {
  it.each(['after-lock', 'after-temp-write', 'after-rename', 'after-append', 'before-commit', 'after-commit'])(
    'a process killed at %s loses no acknowledged record and leaks no lock',
    async (point) => {
      const dir = stateRepo();
      const acknowledged = ['one', 'two'].map((summary) => cli(dir, ['log', summary]).stdout.trim());
      const decided = cli(dir, ['decide', 'acknowledged decision', '--why', 'w']).stdout.trim();
      const { done } = spawnCli(dir, ['decide', 'the crashing one', '--why', 'fault injection'], { AGENTSTATE_FAULT: point });
      const crashed = await done;
      expect(crashed.signal).toBe('SIGKILL');
      expect(crashed.stdout).toBe('');
      const after = await expectRecovered(dir, acknowledged, [decided]);
      expect(after.decisions.length).toBeGreaterThanOrEqual(1);
    },
  );

  it('kill -9 at random moments during many concurrent writers', async () => {
    const dir = stateRepo();
    const writers = 6;
    const attempts = 15;
    const acknowledged: string[] = [];
    let kills = 0;
    let runs = 0;
    await Promise.all(
      Array.from({ length: writers }, async (_, writer) => {
        for (let i = 0; i < attempts; i++) {
          runs++;
          const { child, done } = spawnCli(dir, ['log', `w${writer}-${i}`, '--agent', `w${writer}`]);
          const victim = Math.random() < 0.4;
          const timer = victim ? setTimeout(() => child.kill('SIGKILL'), Math.random() * 250) : undefined;
          const result = await done;
          clearTimeout(timer);
          if (result.signal === 'SIGKILL') kills++;
          else if (result.code === 0) acknowledged.push(result.stdout.trim());
          else throw new Error(`writer failed without being killed: ${result.stderr}`);
        }
      }),
    );
    const after = await expectRecovered(dir, acknowledged);
    const lost = acknowledged.filter((id) => !after.events.includes(id)).length;
    console.log(`crash suite: ${runs} runs, ${kills} kills, ${acknowledged.length} acknowledged, ${lost} lost`);
    expect(kills).toBeGreaterThan(0);
    expect(lost).toBe(0);
  });
});
