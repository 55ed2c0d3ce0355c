import { describe, expect, it } from 'vitest';
import { checkedLinesOf, checkLines, checkStamp, clip, sameFindings, showsExpectations, type CheckedLines } from '../../src/core/boot-checks.js';
import { blockFor } from '../../src/core/boot-block.js';
import { render, type Snapshot } from '../../src/core/briefing.js';
import type { DecisionView } from '../../src/core/decisions.js';
import {
  commitsAfter,
  matchingCommit,
  parseExpectation,
  stateResult,
  verdictOf,
  type CommitInfo,
  type Expectation,
  type ExpectationResult,
} from '../../src/core/expectations.js';
import { learningMatches, projectLearnings, rankLearnings, type LearningView } from '../../src/core/learnings.js';
import { decisionRecordSchema, learningRecordSchema } from '../../src/core/schemas.js';

const file: Expectation = { kind: 'file', value: 'db/0042.sql' };
const result = (met: boolean): ExpectationResult => ({ expect: file, met });

describe('verdict of an open decision', () => {
  it.each([
    ['all met', [true, true], 'looks-done', 'looks done — verify and record the outcome'],
    ['some met', [true, false, false], 'partly-done', 'partly done (1 of 3 met)'],
    ['none met', [false, false], 'not-started', 'not started'],
    ['nothing to check', [], 'not-started', 'not started'],
  ])('%s', (_, mets, verdict, label) => {
    const check = verdictOf(mets.map(result));
    expect(check.verdict).toBe(verdict);
    expect(check.label).toBe(label);
    expect(check.total).toBe(mets.length);
  });
});

describe('parsing --expect kind:value', () => {
  it.each([
    ['file:db/0042.sql', { kind: 'file', value: 'db/0042.sql' }],
    ['file:./db/0042.sql', { kind: 'file', value: 'db/0042.sql' }],
    ['absent:tmp/lock', { kind: 'absent', value: 'tmp/lock' }],
    ['commit:migration 0042: the sessions TTL', { kind: 'commit', value: 'migration 0042: the sessions TTL' }],
    ['branch:feat/x-1', { kind: 'branch', value: 'feat/x-1' }],
    ['tag:v1.4.0', { kind: 'tag', value: 'v1.4.0' }],
    ['state:deploy.region=eu', { kind: 'state', value: 'deploy.region=eu' }],
    ['state:phase', { kind: 'state', value: 'phase' }],
    ['FILE:a.txt', { kind: 'file', value: 'a.txt' }],
  ])('%s', (text, parsed) => {
    expect(parseExpectation(text)).toEqual(parsed);
  });

  it.each([
    ['no kind', 'db/0042.sql', /not kind:value/],
    ['unknown kind', 'shell:rm -rf /', /"shell" is not a kind/],
    ['parent directory', 'file:../secrets', /`\.\.`/],
    ['parent directory inside', 'absent:db/../../x', /`\.\.`/],
    ['absolute', 'file:/etc/passwd', /absolute/],
    ['home', 'file:~/.ssh/id_rsa', /absolute/],
    ['windows drive', 'file:C:\\x', /absolute/],
    ['control character', 'file:a\nb', /control character/],
    ['empty path', 'file:', /empty/],
    ['empty commit text', 'commit:', /empty/],
    ['option-like branch', 'branch:-x', /not a branch/],
    ['branch with ..', 'branch:a..b', /not a branch/],
    ['tag with ..', 'tag:../v1', /not a tag name/],
    ['bad state key', 'state:a b=1', /not a key/],
    ['forbidden state key', 'state:__proto__=1', /cannot be used/],
  ])('refuses %s', (_, text, problem) => {
    const parsed = parseExpectation(text);
    expect('problem' in parsed && parsed.problem).toMatch(problem);
  });

  it('the record schema refuses what the parser refuses (a hand-written or cloned record)', () => {
    const base = { id: 'd-0000000000', at: '2026-03-05T14:15:02.123Z', kind: 'decision', title: 't', why: 'w', standing: false, agent: 'a' };
    expect(decisionRecordSchema.safeParse({ ...base, expect: [{ kind: 'file', value: 'db/x.sql' }] }).success).toBe(true);
    expect(decisionRecordSchema.safeParse({ ...base, expect: [{ kind: 'file', value: '../../etc/passwd' }] }).success).toBe(false);
    expect(decisionRecordSchema.safeParse({ ...base, expect: [{ kind: 'run', value: 'make' }] }).success).toBe(false);
  });
});

describe('which commits count as made after a decision', () => {
  const decision = { id: 'd-7f3a9c2e0b', at: '2026-03-05T14:15:02.500Z' };
  const at = (iso: string) => Date.parse(iso);
  const commit = (sha: string, parents: string[], time: string, message: string): CommitInfo => ({ sha, parents, time: at(time), date: time, message });
  const before = commit('b', ['a'], '2026-03-05T14:15:02Z', 'migration 0042 draft');
  const own = commit('d', ['b'], '2026-03-05T14:15:02Z', 'agentstate: decide Add migration 0042\n\nAgentstate-Id: d-7f3a9c2e0b');
  const sameSecond = commit('w', ['d'], '2026-03-05T14:15:02Z', 'Add migration 0042');
  const log = commit('l', ['w'], '2026-03-05T14:16:00Z', 'agentstate: log migration 0042 applied\n\nAgentstate-Id: ev-1');
  const later = commit('x', ['l'], '2026-03-05T14:17:00Z', 'Tune migration 0042');

  it('never the decision commit, its ancestors or agentstate commits; a descendant even in the same second', () => {
    const after = commitsAfter(decision, [later, log, sameSecond, own, before]);
    expect(after.map((c) => c.sha)).toEqual(['x', 'w']);
    expect(matchingCommit('MIGRATION 0042', after)?.sha).toBe('x');
    expect(matchingCommit('draft', after)).toBeUndefined();
  });

  it('finds the decision in a squashed commit that names several records', () => {
    const squashed = commit('d', ['b'], '2026-03-05T14:15:02Z', 'agentstate: 2 changes (log, decide)\n\n- log x\n- decide y\n\nAgentstate-Id: ev-1\nAgentstate-Id: d-7f3a9c2e0b');
    expect(commitsAfter(decision, [sameSecond, squashed, before]).map((c) => c.sha)).toEqual(['w']);
  });

  it('without the decision commit (it arrived from another clone), only a later second counts', () => {
    const other = commit('o', ['b'], '2026-03-05T14:15:03Z', 'migration 0042 on a branch');
    const after = commitsAfter(decision, [other, sameSecond, before]);
    expect(after.map((c) => c.sha)).toEqual(['o']);
  });

  it('a commit made before the decision stays uncounted even with a later timestamp, as an ancestor', () => {
    const skewed = commit('s', ['a'], '2026-03-05T15:00:00Z', 'migration 0042 made on a fast clock');
    const decided = commit('d', ['s'], '2026-03-05T14:15:02Z', 'agentstate: decide x\n\nAgentstate-Id: d-7f3a9c2e0b');
    expect(commitsAfter(decision, [skewed, decided])).toEqual([]);
  });

  it('walks a long history without recursion', () => {
    const chain: CommitInfo[] = [own];
    for (let i = 0; i < 50_000; i++) chain.push(commit(`c${i}`, [i === 0 ? 'd' : `c${i - 1}`], '2026-03-05T14:15:02Z', `step ${i}`));
    expect(commitsAfter(decision, chain.reverse())).toHaveLength(50_000);
  });
});

describe('state expectations', () => {
  const state = (value: string): Expectation => ({ kind: 'state', value });
  it.each([
    ['phase', { found: true, value: 'build' }, true],
    ['phase', { found: false }, false],
    ['phase', { found: true, value: null }, false],
    ['phase=done', { found: true, value: 'done' }, true],
    ['phase=done', { found: true, value: 'build' }, false],
    ['attempts=3', { found: true, value: 3 }, true],
    ['targets=["eu","us"]', { found: true, value: ['eu', 'us'] }, true],
    ['attempts=3', { found: true, value: '3' }, true],
  ])('%s with %j', (value, found, met) => {
    expect(stateResult(state(value), found).met).toBe(met);
  });
});

const learning = (id: string, at: string, extra: Record<string, unknown> = {}) => ({ id, at, kind: 'learning', text: `lesson ${id}`, category: 'tip', agent: 'a', ...extra });

describe('learnings projection and ranking', () => {
  const records = [
    learning('l-old', '2026-01-01T00:00:00Z', { tags: ['db'], refs: ['db/migrations/'] }),
    learning('l-mid', '2026-02-01T00:00:00Z'),
    learning('l-new', '2026-03-01T00:00:00Z'),
    learning('l-gone', '2026-03-02T00:00:00Z', { tags: ['db'] }),
    { id: 'l-c1', at: '2026-03-03T00:00:00Z', kind: 'confirm', learning: 'l-mid', agent: 'a' },
    { id: 'l-c2', at: '2026-03-04T00:00:00Z', kind: 'confirm', learning: 'l-mid', agent: 'b' },
    { id: 'l-r1', at: '2026-03-05T00:00:00Z', kind: 'retire', learning: 'l-gone', why: 'fixed', agent: 'a' },
    { id: 'l-r0', at: '2026-03-04T12:00:00Z', kind: 'retire', learning: 'l-gone', why: 'first', agent: 'b' },
    { id: 'l-x', at: '2026-03-06T00:00:00Z', kind: 'confirm', learning: 'l-unknown', agent: 'a' },
  ];

  it('counts confirmations and keeps the earlier of two retirements', () => {
    const views = projectLearnings(records);
    const byId = Object.fromEntries(views.map((view) => [view.id, view]));
    expect(byId['l-mid']).toMatchObject({ confirmations: 2, confirmed_at: '2026-03-04T00:00:00Z', status: 'live' });
    expect(byId['l-gone']).toMatchObject({ status: 'retired', retired: { why: 'first' } });
    expect(views.map((view) => view.id)).toEqual(['l-old', 'l-mid', 'l-new', 'l-gone']);
  });

  it('confirmed and recent first; retired never; the same order whatever order the records came in', () => {
    const ranked = rankLearnings(projectLearnings(records)).map((view) => view.id);
    expect(ranked).toEqual(['l-mid', 'l-new', 'l-old']);
    expect(rankLearnings(projectLearnings([...records].reverse())).map((view) => view.id)).toEqual(ranked);
  });

  it('what --focus names comes first: a tag, a referenced path, the text', () => {
    const views = projectLearnings(records);
    expect(rankLearnings(views, 'db').map((view) => view.id)[0]).toBe('l-old');
    expect(rankLearnings(views, 'migrations').map((view) => view.id)[0]).toBe('l-old');
    expect(rankLearnings(views, 'lesson l-new').map((view) => view.id)[0]).toBe('l-new');
    expect(learningMatches(views.find((view) => view.id === 'l-mid')!, 'db')).toBe(false);
  });

  it.each([
    ['a file under the referenced directory', 'db/migrations/0042.sql', true],
    ['the directory itself, without the slash', 'db/migrations', true],
    ['a path written ./ and quoted', 'see `./db/migrations/0042.sql`.', true],
    ['a sibling directory', 'db/seeds/0042.sql', false],
    ['a directory whose name starts the same', 'db/migrations-old/x.sql', false],
  ])('--focus naming %s', (_, focus, matched) => {
    const old = projectLearnings(records).find((view) => view.id === 'l-old')!;
    expect(learningMatches({ ...old, tags: [] }, focus)).toBe(matched);
  });

  it('a stale lesson sinks below a fresh one; a confirmation brings it back', () => {
    const stale = learning('l-stale', '2025-01-01T00:00:00Z');
    const fresh = learning('l-fresh', '2026-03-01T00:00:00Z');
    expect(rankLearnings(projectLearnings([stale, fresh])).map((view) => view.id)).toEqual(['l-fresh', 'l-stale']);
    const confirm = { id: 'l-c', at: '2026-03-02T00:00:00Z', kind: 'confirm', learning: 'l-stale', agent: 'a' };
    expect(rankLearnings(projectLearnings([stale, fresh, confirm])).map((view) => view.id)).toEqual(['l-stale', 'l-fresh']);
  });

  it('the record schema takes learnings, confirmations and retirements and refuses a retirement without why', () => {
    expect(learningRecordSchema.safeParse(learning('l-0000000000', '2026-03-01T00:00:00Z')).success).toBe(true);
    expect(learningRecordSchema.safeParse({ id: 'l-0000000001', at: '2026-03-01T00:00:00Z', kind: 'retire', learning: 'l-0000000000', agent: 'a' }).success).toBe(false);
    expect(learningRecordSchema.safeParse(learning('l-0000000000', '2026-03-01T00:00:00Z', { category: 'gossip' })).success).toBe(false);
  });
});

describe('briefing with learnings and expectations', () => {
  const open: DecisionView = {
    id: 'd-1',
    at: '2026-03-05T14:00:00Z',
    agent: 'a',
    title: 'Add migration 0042',
    why: 'ttl',
    standing: false,
    tags: [],
    status: 'open',
    expect: [file],
    check: verdictOf([{ expect: file, met: true, evidence: 'db/0042.sql exists' }]),
  };
  const views: LearningView[] = rankLearnings(
    projectLearnings(Array.from({ length: 40 }, (_, i) => learning(`l-${String(i).padStart(4, '0')}`, `2026-03-01T00:00:${String(i).padStart(2, '0')}Z`))),
  );
  const snapshot: Snapshot = {
    generatedAt: '2026-03-05T15:00:00Z',
    repo: { name: 'p' },
    openDecisions: [open],
    standing: [],
    inProgress: [],
    blocked: [],
    nextTasks: [],
    recentDecisions: [],
    recentEvents: [],
    warnings: [],
    learnings: views,
  };

  it('resume shows the verdict with its evidence; the boot block the snapshot it is given, and nothing without one', () => {
    const resume = render(snapshot, { mode: 'resume' }).text;
    expect(resume).toContain('  - check: looks done — verify and record the outcome\n    - met: file db/0042.sql — db/0042.sql exists');
    const bare = render(snapshot, { mode: 'boot' }).text;
    expect(bare).toContain('  - expects: file db/0042.sql — check with `agentstate decisions --open`\n\n### ');
    expect(bare).not.toContain('looks done');
    expect(bare).not.toContain('\u0000'); // no room left behind
    const lines = checkLines(open.check!, checkStamp('1a2b3c4d5e', new Date('2026-03-05T15:04:59Z')));
    const boot = render(snapshot, { mode: 'boot', checked: (view) => (view.id === 'd-1' ? lines : undefined) }).text;
    expect(boot).toContain(
      '  - expects: file db/0042.sql — check with `agentstate decisions --open`\n' +
        '  - checked at 1a2b3c4, 2026-03-05 15:04 UTC: looks done — verify and record the outcome (a snapshot; `agentstate resume` checks again)\n' +
        '    - met: file db/0042.sql — db/0042.sql exists\n\n### ',
    );
  });

  it('learnings are cut before next tasks and open decisions, and the cut is said', () => {
    const full = render(snapshot, { mode: 'resume' });
    expect(full.text).toContain('## Learnings');
    const small = render(snapshot, { mode: 'resume', budgetTokens: 200 });
    expect(Buffer.byteLength(small.text)).toBeLessThanOrEqual(800);
    expect(small.cut.learnings).toBeGreaterThan(0);
    expect(small.text).toContain('Add migration 0042');
    expect(small.text).toMatch(/cut to fit the .*budget:.*learnings/i);
  });
});

describe('the check snapshot in the AGENTS.md block', () => {
  const expects = (n: number): Expectation[] => Array.from({ length: n }, (_, i) => ({ kind: 'file', value: `db/migration-${i}.sql` }));
  const decision = (i: number, n: number): DecisionView => ({
    id: `d-${i}`,
    at: '2026-03-05T14:00:00Z',
    agent: 'a',
    title: `Decision ${i} ${'x'.repeat(i * 7)}`,
    why: 'w',
    standing: false,
    tags: [],
    status: 'open',
    ...(n ? { expect: expects(n) } : {}),
  });
  const tasks = Array.from({ length: 5 }, (_, i) => ({ id: `t-${i}`, title: `Task ${i}`, status: 'open', priority: 'P2', created: '2026-03-01', updated: '2026-03-01', version: 1 }));
  const snapshot: Snapshot = {
    generatedAt: '2026-03-05T15:00:00Z',
    repo: { name: 'p' },
    openDecisions: [decision(0, 2), decision(1, 0), decision(2, 3), decision(3, 1)],
    standing: [],
    inProgress: [],
    blocked: [],
    nextTasks: tasks as Snapshot['nextTasks'],
    recentDecisions: [],
    recentEvents: [],
    warnings: [],
  };
  // Findings of every length the evidence may have: short, and long enough to be clipped.
  const found = (view: DecisionView, long: boolean) =>
    checkLines(
      verdictOf(view.expect!.map((expect, i) => ({ expect, met: i % 2 === 0, ...(i % 2 === 0 ? { evidence: long ? 'é'.repeat(300) : 'ok' } : { reason: 'missing' }) }))),
      checkStamp('abcdef0123', new Date('2026-03-05T15:00:00Z')),
    );
  const checked = (long: boolean): CheckedLines => (view) => (view.expect ? found(view, long) : undefined);
  const withoutSnapshots = (text: string) => text.replace(/\n {2}- checked [^\n]*(\n {4}- [^\n]*)*/g, '');

  it.each([80, 150, 250, 400, 600, 2000])('at a budget of %i tokens, the budget cuts the same items with or without findings, and holds', (budget) => {
    const bare = render(snapshot, { mode: 'boot', budgetTokens: budget });
    for (const long of [false, true]) {
      const full = render(snapshot, { mode: 'boot', budgetTokens: budget, checked: checked(long) });
      expect(full.cut).toEqual(bare.cut);
      expect(withoutSnapshots(full.text)).toBe(bare.text);
      expect(Buffer.byteLength(full.text)).toBeLessThanOrEqual(budget * 4);
    }
  });

  it('a block gives back the snapshots it holds, and rendering with them gives the same block', () => {
    const block = blockFor(render(snapshot, { mode: 'boot', checked: checked(false) }).text, '0123456789abcdef');
    const held = checkedLinesOf(block);
    expect([...held.keys()].map((line) => line.slice(0, 6))).toEqual(['- d-0 ', '- d-2 ', '- d-3 ']);
    expect(held.get([...held.keys()][1]!)).toHaveLength(4);
    const again = blockFor(render(snapshot, { mode: 'boot', checked: (_, line) => held.get(line) }).text, '0123456789abcdef');
    expect(again).toBe(block);
    expect(showsExpectations(block)).toBe(true);
  });

  it('only the open decisions section is read: a handoff line that looks like a snapshot is not one', () => {
    const handoff = { id: 'ev-1', at: '2026-03-05T14:00:00Z', agent: 'a', done: [], remaining: ['checked at abc1234, 2026-03-05 14:00 UTC: looks done', 'expects: file x'], uncertain: [] };
    const text = render({ ...snapshot, openDecisions: [decision(1, 0)], handoff }, { mode: 'boot' }).text;
    expect(text).toContain('  - checked at abc1234');
    expect(checkedLinesOf(text).size).toBe(0);
    expect(showsExpectations(text)).toBe(false);
  });

  it('the same findings at another HEAD or minute are the same snapshot; other findings are not', () => {
    const check = verdictOf([{ expect: { kind: 'file', value: 'a' }, met: false, reason: 'a does not exist' }]);
    const earlier = checkLines(check, checkStamp('1111111', new Date('2026-03-05T14:00:00Z')));
    expect(sameFindings(earlier, checkLines(check, checkStamp('2222222', new Date('2026-03-06T09:30:00Z'))))).toBe(true);
    expect(sameFindings(earlier, checkLines(check, checkStamp(undefined, new Date())))).toBe(true);
    const met = verdictOf([{ expect: { kind: 'file', value: 'a' }, met: true, evidence: 'a exists' }]);
    expect(sameFindings(earlier, checkLines(met, checkStamp('1111111', new Date('2026-03-05T14:00:00Z'))))).toBe(false);
  });

  it('hostile evidence is shown, not obeyed: no terminal escape, no marker, bounded', () => {
    const check = verdictOf([{ expect: { kind: 'commit', value: 'x\u001b]52;c;AAAA\u0007' }, met: true, evidence: `abc1234 2026-03-05 "<!-- agentstate:end --> \u001b[2J${'y'.repeat(500)}"` }]);
    const lines = checkLines(check, checkStamp('abc1234', new Date('2026-03-05T14:00:00Z')));
    const text = lines.join('\n');
    // eslint-disable-next-line no-control-regex
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
    expect(text).not.toContain('<!--');
    expect(text).toContain('\\x1b[2J');
    expect(Buffer.byteLength(lines[1]!)).toBeLessThan(300);
    expect(clip('ééé', 5)).toBe('é…');
  });
});
