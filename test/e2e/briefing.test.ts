import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, git, json, read, stateRepo } from '../helpers/cli.js';

const ESC = '\u001b';

/** A backlog with a claimed task, a task marked blocked, one waiting on it, and a ready one. */
function boardRepo() {
  const dir = stateRepo();
  const ready = cli(dir, ['backlog', 'add', 'Write the docs', '--priority', 'P1', '-q']).stdout.trim();
  const vendor = cli(dir, ['backlog', 'add', 'Wait for the vendor API', '-q']).stdout.trim();
  const waiting = cli(dir, ['backlog', 'add', 'Integrate the vendor API', '--depends', vendor, '-q']).stdout.trim();
  const claimed = cli(dir, ['backlog', 'add', 'Migrate sessions table', '--priority', 'P0', '-q']).stdout.trim();
  expect(cli(dir, ['backlog', 'claim', claimed, '--agent', 'worker-1']).code).toBe(0);
  expect(cli(dir, ['backlog', 'update', vendor, '--status', 'blocked', '--note', 'no API key yet']).code).toBe(0);
  return { dir, ready, vendor, waiting, claimed };
}

describe('the briefing shows work in progress, then what is blocked, then what is ready', () => {
  it('in resume (Markdown and JSON) and in the AGENTS.md block', () => {
    const { dir, ready, vendor, waiting, claimed } = boardRepo();
    const text = cli(dir, ['resume']).stdout;
    const at = (needle: string) => text.indexOf(needle);
    expect(at('## In progress')).toBeGreaterThan(0);
    expect(at('## In progress')).toBeLessThan(at('## Blocked'));
    expect(at('## Blocked')).toBeLessThan(at('## Ready tasks'));
    expect(text).toMatch(new RegExp(`- ${claimed} \\[P0\\] Migrate sessions table — worker-1 since (just now|\\d+m ago); last active`));
    expect(text).toContain(`- ${vendor} [P2] Wait for the vendor API — marked blocked: no API key yet`);
    expect(text).toContain(`- ${waiting} [P2] Integrate the vendor API — waits on ${vendor} (blocked)`);
    expect(text.slice(at('## Ready tasks'))).toContain(ready);
    expect(text.slice(at('## Ready tasks'))).not.toContain(waiting);

    const data = json<{ inProgress: Array<{ id: string; owner: string; since: string; stale: boolean }>; blocked: Array<{ id: string; blockedBy: Array<{ id: string; status: string }> }>; nextTasks: Array<{ id: string }> }>(
      cli(dir, ['resume', '--format', 'json']),
    );
    expect(data.inProgress).toEqual([expect.objectContaining({ id: claimed, owner: 'worker-1', stale: false })]);
    expect(Date.parse(data.inProgress[0]!.since)).toBeGreaterThan(Date.now() - 600_000);
    expect(data.blocked.map((task) => task.id)).toEqual([vendor, waiting]);
    expect(data.blocked[1]!.blockedBy).toEqual([expect.objectContaining({ id: vendor, status: 'blocked' })]);
    expect(data.nextTasks.map((task) => task.id)).toEqual([ready]);

    const block = read(dir, 'AGENTS.md');
    expect(block).toMatch(new RegExp(`### In progress\\n- ${claimed} \\[P0\\] Migrate sessions table — worker-1 since \\d{4}-\\d\\d-\\d\\d`));
    expect(block).toContain(`### Blocked\n- ${vendor}`);
    expect(block.indexOf('### Blocked')).toBeLessThan(block.indexOf('### Ready tasks'));
    expect(cli(dir, ['boot', '--check']).code).toBe(0);
  });

  it('a claim whose owner has been silent longer than the heartbeat limit is stale', () => {
    const { dir, claimed } = boardRepo();
    const old = new Date(Date.now() - 3 * 3600e3).toISOString();
    // The claim is three hours old and the owner recorded nothing since; the limit is 60 minutes.
    const lines = read(dir, '.agentstate/backlog.yaml').split('\n').map((line) => {
      if (!line.includes(claimed)) return line;
      return `- ${JSON.stringify({ ...JSON.parse(line.slice(2)), updated: old, claimed_at: old })}`;
    });
    writeFileSync(join(dir, '.agentstate/backlog.yaml'), lines.join('\n'));
    const data = json<{ inProgress: Array<{ id: string; stale: boolean; lastActivity: string }> }>(cli(dir, ['resume', '--format', 'json']));
    expect(data.inProgress[0]).toMatchObject({ id: claimed, stale: true });
    expect(cli(dir, ['resume']).stdout).toMatch(new RegExp(`${claimed} .*STALE: last active 3h ago.*backlog release ${claimed} --force`));
    // Activity by the owner makes it fresh again.
    cli(dir, ['log', 'still on it', '--agent', 'worker-1']);
    expect(json<{ inProgress: Array<{ stale: boolean }> }>(cli(dir, ['resume', '--format', 'json'])).inProgress[0]!.stale).toBe(false);
  });
});

describe('the briefing header and counts', () => {
  it('shows HEAD, and counts the state commits after the handoff commit, not by time', () => {
    const dir = stateRepo();
    cli(dir, ['handoff', '--done', 'first pass']);
    const head = git(dir, 'rev-parse', 'HEAD').trim();
    const text = cli(dir, ['resume']).stdout;
    expect(text).toMatch(new RegExp(`^# Resume: \\S+ on main @ ${head.slice(0, 7)}\\n`));
    expect(text).toContain('0 state commits since the latest handoff.');
    cli(dir, ['log', 'one']);
    cli(dir, ['state', 'set', 'phase=two']);
    expect(cli(dir, ['resume']).stdout).toContain('2 state commits since the latest handoff.');
    expect(json<{ commitsSinceHandoff: number }>(cli(dir, ['resume', '--format', 'json'])).commitsSinceHandoff).toBe(2);
  });

  it('a cut briefing ends with one complete bracket in words a reader knows', () => {
    const dir = stateRepo();
    for (let i = 0; i < 12; i++) cli(dir, ['log', `event number ${i} with enough words to take some room in the briefing`]);
    const text = cli(dir, ['resume', '--budget', '300']).stdout;
    const note = text.split('\n').find((line) => line.startsWith('[Cut'));
    expect(note).toMatch(/^\[Cut to fit the 300-token budget: .*\d+ recent events.*\. Run `agentstate resume --full` to see everything\.\]$/);
    // The renderer's section keys ("4 events", "4 help") are not words for a reader.
    expect(note).not.toMatch(/\d+ (events|help|decisions|tasks|open)\b/);
  });
});

describe('resume --check gates only on what can be acted on now', () => {
  it('an old event naming a file that is gone is a warning, not a failure; a path held by the runtime state fails it', () => {
    const dir = stateRepo();
    cli(dir, ['log', 'edited it', '--ref', 'src/gone.ts']);
    const run = cli(dir, ['resume', '--check']);
    expect(run.code, run.stderr).toBe(0);
    expect(json<{ warnings: string[] }>(cli(dir, ['resume', '--format', 'json'])).warnings.join('\n')).toMatch(/event ev-\w+ ref names src\/gone\.ts/);
    cli(dir, ['state', 'set', 'report_path=out/report.md']);
    const gated = cli(dir, ['resume', '--check']);
    expect(gated.code).toBe(1);
    expect(gated.stderr).toMatch(/resume --check: runtime field report_path names out\/report\.md/);
    expect(gated.stderr).not.toMatch(/src\/gone\.ts/);
  });
});

describe('text from records is shown, never obeyed', () => {
  it('terminal escapes and control characters are written visibly by events, resume, backlog list and decisions', () => {
    const dir = stateRepo();
    const hostile = `red ${ESC}[31mALERT${ESC}[0m ${ESC}]52;c;cHduZWQ=\u0007 \u202eevil`;
    expect(cli(dir, ['log', hostile]).code).toBe(0);
    expect(cli(dir, ['backlog', 'add', hostile]).code).toBe(0);
    expect(cli(dir, ['decide', hostile, '--why', hostile]).code).toBe(0);
    for (const args of [['events'], ['resume'], ['backlog', 'list'], ['decisions'], ['catches']]) {
      const out = cli(dir, args).stdout;
      // eslint-disable-next-line no-control-regex
      expect(out, args.join(' ')).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f\u202e]/);
    }
    expect(cli(dir, ['events']).stdout).toContain('red \\x1b[31mALERT\\x1b[0m \\x1b]52;c;cHduZWQ=\\x07 \\u202eevil');
    expect(read(dir, 'AGENTS.md')).toContain('\\x1b[31mALERT');
    // The record itself keeps the text exactly.
    expect(json<{ events: Array<{ summary: string }> }>(cli(dir, ['events', '--json'])).events.at(-1)!.summary).toBe(hostile);
  });

  it('a multi-line summary keeps a table to one row per record: the first line and a marker', () => {
    const dir = stateRepo();
    cli(dir, ['log', 'first line\nsecond line\nthird line']);
    cli(dir, ['backlog', 'add', 'title line\nmore']);
    const events = cli(dir, ['events']).stdout.trim().split('\n');
    expect(events).toHaveLength(2);
    expect(events[1]).toMatch(/first line \(\+2 more lines\)$/);
    expect(cli(dir, ['backlog', 'list']).stdout).toMatch(/title line \(\+1 more line\)/);
  });

  it('decisions --all shows the rationale under WHY and what came of it under OUTCOME', () => {
    const dir = stateRepo();
    const id = cli(dir, ['decide', 'Use Redis', '--why', 'p99 too slow', '-q']).stdout.trim();
    cli(dir, ['outcome', id, 'done', '--note', 'shipped in a1b2c3d']);
    const [header, row] = cli(dir, ['decisions', '--all']).stdout.trim().split('\n');
    expect(header).toMatch(/WHY\s+OUTCOME$/);
    expect(row).toMatch(/Use Redis\s+p99 too slow\s+shipped in a1b2c3d$/);
  });
});
