import { appendFileSync, existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, git, json, read, stateRepo } from '../helpers/cli.js';

interface Hit {
  kind: string;
  id: string;
  at: string;
  agent: string;
  status?: string;
  text: string;
  marks: Array<[number, number]>;
  source: string;
}
interface Found {
  hits: Hit[];
  count: number;
  total: number;
}

const search = (dir: string, ...args: string[]) => {
  const run = cli(dir, ['search', ...args, '--json']);
  expect(run.code, run.stderr).toBe(0);
  return json<Found>(run);
};
const marked = (hit: Hit) => hit.marks.map(([from, to]) => hit.text.slice(from, to).toLowerCase());
const ok = (dir: string, args: string[], env = {}) => {
  const run = cli(dir, args, env);
  expect(run.code, run.stderr).toBe(0);
  return run.stdout.trim();
};

describe('search', () => {
  let dir: string;
  let decision: string;
  beforeAll(() => {
    dir = stateRepo();
    // Small segments, so that the oldest events end up sealed under archive/.
    writeFileSync(join(dir, '.agentstate/config.yaml'), read(dir, '.agentstate/config.yaml').replace('seal_bytes: 262144', 'seal_bytes: 600'));
    ok(dir, ['log', 'Postgres vacuum tuned on staging', '--type', 'ops']);
    for (let i = 0; i < 4; i++) ok(dir, ['log', `filler event ${i} about nothing in particular`]);
    decision = ok(dir, ['decide', 'Switch the cache to Redis', '--why', 'p99 is 800 ms on cold starts', '--agent', 'architect']);
    ok(dir, ['outcome', decision, 'done', '--note', 'Postgres stays the store of record']);
    ok(dir, ['backlog', 'add', 'Tune postgres autovacuum', '--priority', 'P1']);
    ok(dir, ['catch', 'review', 'postgres port exposed in compose file', '--outcome', 'fixed', '--agent', 'reviewer']);
    ok(dir, ['handoff', '--remaining', 'postgres upgrade to 16', '--agent', 'worker-1']);
    ok(dir, ['log', 'redis cache warmup script', '--agent', 'worker-1']);
    ok(dir, ['log', 'cache sizes reviewed']);
    ok(dir, ['learn', 'Postgres locks the table on ALTER: add columns without defaults', '--kind', 'convention', '--tag', 'db']);
  });

  it('finds every kind of record, sealed segments included, with the words marked', () => {
    expect(readdirSync(join(dir, '.agentstate/archive')).some((name) => name.startsWith('events.'))).toBe(true);
    const found = search(dir, 'postgres');
    expect(found.hits.map((hit) => hit.kind).sort()).toEqual(['catch', 'decision', 'event', 'handoff', 'learning', 'task']);
    for (const hit of found.hits) {
      expect(marked(hit)).toEqual(['postgres']);
      expect(hit.id).toMatch(/^(ev|d|t|ct|l)-/);
      expect(Date.parse(hit.at)).not.toBeNaN();
    }
    const sealed = found.hits.find((hit) => hit.kind === 'event')!;
    expect(sealed.source).toMatch(/^\.agentstate\/archive\/events\.[^:]+\.yaml:\d+$/);
    expect(sealed.text).toBe('[ops] Postgres vacuum tuned on staging');
    const closed = found.hits.find((hit) => hit.kind === 'decision')!;
    expect(closed).toMatchObject({ id: decision, status: 'done', agent: 'architect' });
    expect(closed.text).toBe('Switch the cache to Redis · why: p99 is 800 ms on cold starts → done: Postgres stays the store of record');
  });

  it('ranks the record matching more and rarer words first; a prefix finds longer words', () => {
    const found = search(dir, 'redis', 'warmup');
    expect(found.hits[0]!.text).toBe('redis cache warmup script');
    expect(found.hits.map((hit) => hit.kind)).toContain('decision');
    expect(marked(search(dir, 'autovac').hits[0]!)).toEqual(['autovacuum']);
  });

  it('filters by kind, agent, time and count', () => {
    expect(search(dir, 'postgres', '--kind', 'task,catch').hits.map((hit) => hit.kind).sort()).toEqual(['catch', 'task']);
    expect(search(dir, 'postgres', '--kind', 'decisions').hits.map((hit) => hit.id)).toEqual([decision]);
    expect(search(dir, 'postgres', '--by', 'reviewer').hits.map((hit) => hit.kind)).toEqual(['catch']);
    appendFileSync(
      join(dir, '.agentstate/events.yaml'),
      '- {"id":"ev-0ld0ld0ld0","at":"2020-01-01T00:00:00.000Z","type":"note","agent":"old","summary":"postgres 9 era"}\n',
    );
    expect(search(dir, 'postgres', '--kind', 'event').hits).toHaveLength(2);
    expect(search(dir, 'postgres', '--kind', 'event', '--since', '2021-01-01').hits.map((hit) => hit.text)).toEqual(['[ops] Postgres vacuum tuned on staging']);
    const limited = cli(dir, ['search', 'postgres', '--limit', '2']);
    expect(limited.stdout.trim().split('\n')).toHaveLength(2);
    expect(limited.stderr).toContain('2 of 7 matches shown');
    expect(search(dir, 'postgres', '--kind', 'learnings').hits.map((hit) => hit.text)).toEqual(['Postgres locks the table on ALTER: add columns without defaults · convention · tags: db']);
  });

  it('prints one plain line per hit when piped, and nothing but ids with --quiet', () => {
    const run = cli(dir, ['search', 'cache'], { NO_COLOR: undefined });
    expect(run.stdout).not.toContain('\u001b');
    const lines = run.stdout.trim().split('\n');
    expect(lines.length).toBe(search(dir, 'cache').count);
    expect(lines.find((line) => line.startsWith('decision'))).toMatch(new RegExp(`^decision +${decision} +\\d{4}-\\d\\d-\\d\\d +done +Switch the cache`));
    expect(cli(dir, ['search', 'cache', '--quiet']).stdout.trim().split('\n').every((line) => /^(ev|d|t|ct)-/.test(line))).toBe(true);
    expect(cli(dir, ['search', 'zebra']).stdout).toContain('no matches for "zebra"');
  });

  it.each([
    [['search', 'x', '--kind', 'nope'], 2, '--kind: "nope" is not one of event, handoff, decision, task, catch, learning'],
    [['search', 'x', '--kind', 'task,bogus'], 2, '--kind: "bogus" is not one of event, handoff, decision, task, catch, learning'],
    [['search', '!!!'], 2, 'the query has no word to look for'],
    [['search', 'x', '--limit', 'ten'], 2, '--limit: "ten" is not a whole number'],
    [['search', 'x', '--since', 'someday'], 2, '--since: "someday" is not a time'],
  ])('refuses %j with exit %i, one line, and a JSON error', (args, code, message) => {
    const run = cli(dir, args);
    expect(run.code).toBe(code);
    expect(run.stderr.split('\n')[0]).toBe(`agentstate: ${message}`);
    const asJson = cli(dir, [...args, '--json']);
    expect(json<{ error: { code: number; message: string } }>(asJson).error).toMatchObject({ code, message });
  });

  it('exits 3 where there is no state', () => {
    const empty = cli(join(dir, '.agentstate', 'archive'), ['search', 'x', '--dir', join(dir, 'nowhere')]);
    expect(empty.code).toBe(3);
  });

  it('keeps its index under the git dir, refreshes it as files change, and rebuilds it when damaged or gone', () => {
    const cache = join(dir, '.git/agentstate/search');
    search(dir, 'postgres');
    expect(readdirSync(cache).filter((name) => name.endsWith('.idx')).length).toBeGreaterThan(4);
    expect(existsSync(join(dir, '.agentstate/search'))).toBe(false);
    git(dir, 'add', '.agentstate/events.yaml', '.agentstate/config.yaml');
    git(dir, 'commit', '-q', '-m', 'hand-written event');
    expect(git(dir, 'status', '--porcelain')).toBe('');
    const before = search(dir, 'postgres');

    const id = ok(dir, ['log', 'postgres minor upgrade done']);
    expect(search(dir, 'postgres').hits.map((hit) => hit.id)).toContain(id);
    // Appended to: only the new bytes are indexed, and found.
    const next = ok(dir, ['log', 'pgbouncer pool resized']);
    expect(search(dir, 'pgbouncer').hits.map((hit) => [hit.id, hit.source])).toEqual([[next, expect.stringMatching(/^\.agentstate\/(events|archive\/events\.[^:]+)\.yaml:\d+$/)]]);
    // Changed above the end (not an append; `check` would flag it): the whole file is indexed again.
    const active = join(dir, '.agentstate/events.yaml');
    writeFileSync(active, read(dir, '.agentstate/events.yaml').replace('pgbouncer pool resized', 'pgbouncer pool RESIZED AGAIN') + read(dir, '.agentstate/events.yaml').split('\n').slice(-2).join('\n'));
    expect(search(dir, 'again').hits.map((hit) => hit.text)).toEqual(['pgbouncer pool RESIZED AGAIN']);
    git(dir, 'checkout', '--', '.agentstate/events.yaml');
    expect(search(dir, 'again').hits).toEqual([]);

    for (const name of readdirSync(cache)) writeFileSync(join(cache, name), 'garbage');
    const after = search(dir, 'postgres');
    const texts = (found: Found) => found.hits.map((hit) => `${hit.id} ${hit.text}`).sort();
    expect(texts(after)).toEqual([...texts(before), `${id} postgres minor upgrade done`].sort());
    rmSync(cache, { recursive: true });
    expect(search(dir, 'postgres')).toEqual(after);
  });

  it('resume --focus picks the events search ranks first, not only the latest', () => {
    const repo = stateRepo();
    ok(repo, ['log', 'flaky test: redis timeout']);
    for (let i = 0; i < 11; i++) ok(repo, ['log', `deploy ${i}: after a redis timeout alarm the web tier, the workers and the queue consumers were restarted one by one`]);
    ok(repo, ['log', 'unrelated: the docs were proofread']);
    const text = cli(repo, ['resume', '--focus', 'redis timeout']).stdout;
    // The short, exact early record outranks the long later ones; ten events are shown.
    expect(text).toContain('flaky test: redis timeout');
    expect(text.match(/deploy \d+: after a redis timeout alarm/g)).toHaveLength(9);
    expect(text).not.toContain('proofread');
  });
});
