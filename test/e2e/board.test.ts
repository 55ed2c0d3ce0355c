import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, json, read, stateRepo } from '../helpers/cli.js';
import { onTerminal, strip, styled } from '../helpers/terminal.js';

interface Card {
  id: string;
  title: string;
  priority: string;
  owner?: string;
  lease_until?: string;
  waits_on: Array<{ id: string; status: string }>;
}
type Columns = Record<'ready' | 'active' | 'blocked' | 'done', Card[]>;

const ok = (dir: string, args: string[]) => {
  const run = cli(dir, args);
  expect(run.code, run.stderr).toBe(0);
  return run.stdout.trim();
};

describe('board', () => {
  let dir: string;
  const ids: Record<string, string> = {};
  beforeAll(() => {
    dir = stateRepo();
    ids.login = ok(dir, ['backlog', 'add', 'Fix the login redirect loop on Safari when third-party cookies are blocked', '--priority', 'P0']);
    ids.docs = ok(dir, ['backlog', 'add', 'Write the migration guide', '--priority', 'P3', '--depends', ids.login]);
    ids.cache = ok(dir, ['backlog', 'add', 'Warm the cache after deploys', '--priority', 'P1']);
    ids.release = ok(dir, ['backlog', 'add', 'Ship release 2.0', '--priority', 'P2']);
    ids.old = ok(dir, ['backlog', 'add', 'Rename the config keys', '--priority', 'P2']);
    ok(dir, ['backlog', 'claim', ids.login, '--agent', 'worker-1']);
    ok(dir, ['backlog', 'update', ids.release, '--status', 'blocked', '--notes', 'waiting for the legal review']);
    ok(dir, ['backlog', 'update', ids.old, '--status', 'done']);
    // The claim's lease (backlog.lease_minutes, 60), set to 25 minutes from now as if time had passed.
    const lease = new Date(Date.now() + 25 * 60_000).toISOString();
    const backlog = join(dir, '.agentstate/backlog.yaml');
    const text = read(dir, '.agentstate/backlog.yaml');
    expect(text).toMatch(/"owner":"worker-1","claimed_at":"[^"]+","lease_until":"/);
    writeFileSync(backlog, text.replace(/"lease_until":"[^"]+"/, `"lease_until":"${lease}"`));
  });

  it('puts each task in its column: ready, in progress with owner and lease, blocked with its blockers, done recently', () => {
    const { columns, counts } = json<{ columns: Columns; counts: Record<string, number> }>(cli(dir, ['board', '--json']));
    expect(columns.ready.map((card) => card.id)).toEqual([ids.cache]);
    expect(columns.active).toEqual([expect.objectContaining({ id: ids.login, owner: 'worker-1', lease_until: expect.any(String) })]);
    expect(columns.blocked.map((card) => card.id)).toEqual([ids.release, ids.docs]);
    expect(columns.blocked[1]!.waits_on).toEqual([expect.objectContaining({ id: ids.login, status: 'active' })]);
    expect(columns.done.map((card) => card.id)).toEqual([ids.old]);
    expect(counts).toEqual({ ready: 1, active: 1, blocked: 2, done: 1 });
    const future = new Date(Date.now() + 60_000).toISOString();
    expect(json<{ columns: Columns }>(cli(dir, ['board', '--json', '--done-since', future])).columns.done).toEqual([]);
  });

  it('is plain text when piped, laid out for $COLUMNS', () => {
    const run = cli(dir, ['board'], { NO_COLOR: undefined, COLUMNS: '120' });
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain('\u001b');
    const lines = run.stdout.split('\n');
    expect(lines[0]).toMatch(/^READY \(1\) +IN PROGRESS \(1\) +BLOCKED \(2\) +DONE \(1\)$/);
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(120);
    expect(run.stdout).toContain('blocked: waiting for the');
    expect(run.stdout).toMatch(/lease 2\dm left/);
  });

  it('fits a real terminal, side by side when wide, stacked when narrow, priorities coloured', () => {
    const wide = onTerminal(dir, ['board'], { columns: 100, env: { NO_COLOR: undefined } });
    expect(wide.code).toBe(0);
    const lines = strip(wide.screen).split('\n');
    expect(lines[0]).toMatch(/^READY \(1\) +IN PROGRESS \(1\) +BLOCKED \(2\) +DONE \(1\)$/);
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(100);
    // The P0 card in red, P1 in yellow (tmux re-encodes what it was sent, so look for the SGR codes).
    expect(wide.screen).toMatch(styled(31, 'P0'));
    expect(wide.screen).toMatch(styled(33, 'P1'));
    expect(wide.screen).not.toMatch(styled(31, 'P1'));
    expect(strip(wide.screen)).toContain('@worker-1 · lease');

    const narrow = onTerminal(dir, ['board'], { columns: 50, env: { NO_COLOR: undefined } });
    const narrowLines = strip(narrow.screen).split('\n');
    expect(narrowLines[0]).toBe('READY (1)');
    expect(narrowLines).toContain('IN PROGRESS (1)');
    expect(Math.max(...narrowLines.map((line) => line.length))).toBeLessThanOrEqual(50);
    expect(narrowLines.find((line) => line.includes(ids.login!))).toMatch(/P0 t-\w+ Fix the login .*…$/);

    const plain = onTerminal(dir, ['board'], { columns: 100, env: { NO_COLOR: '1' } });
    expect(plain.screen).not.toContain('\u001b[3');
    // no-color.org: NO_COLOR counts when present and not empty; an empty one (NO_COLOR= in a script) keeps colours.
    expect(onTerminal(dir, ['board'], { columns: 100, env: { NO_COLOR: '' } }).screen).toMatch(styled(31, 'P0'));
  });

  it('marks the words a search found on a terminal and cuts the line to fit', () => {
    ok(dir, ['log', `${'a long preamble of words that pushes the match far to the right '.repeat(3)}where the needle finally appears`]);
    const { screen, code } = onTerminal(dir, ['search', 'needle'], { columns: 80, env: { NO_COLOR: undefined } });
    expect(code).toBe(0);
    const [line] = screen.split('\n');
    expect(strip(line!).length).toBeLessThanOrEqual(80);
    expect(strip(line!)).toMatch(/^event +ev-\w+ +\d{4}-\d\d-\d\d +….*needle/);
    expect(line).toMatch(styled(33, 'needle'));
    expect(line).not.toMatch(styled(33, 'where'));
  });

  it.each([
    [['board', '--limit', 'x'], '--limit: "x" is not a whole number'],
    [['board', '--width', '5'], '--width: must be at least 20 columns'],
    [['board', '--done-since', 'soon'], '--done-since: "soon" is not a time'],
  ])('refuses %j with exit 2 and one line', (args, message) => {
    const run = cli(dir, args);
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toBe(`agentstate: ${message}`);
  });

  it('shows at most --limit cards per column and counts the rest', () => {
    const run = cli(dir, ['board', '--limit', '1', '--width', '100']);
    expect(run.stdout).toContain('+1 more');
    expect(run.stdout.split('\n')[0]).toContain('BLOCKED (2)');
  });
});
