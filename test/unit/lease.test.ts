import { describe, expect, it } from 'vitest';
import { claimableTasks, claimed, leaseExpired, liveOwnerClashes, lostBy, mergeClaim, renewed } from '../../src/core/lease.js';
import { mergeTasks } from '../../src/core/merge.js';
import type { Task } from '../../src/core/schemas.js';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const iso = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
const task = (fields: Partial<Task> = {}): Task =>
  ({ id: 't-1', title: 'x', status: 'open', priority: 'P2', version: 1, created: iso(-100), updated: iso(-100), ...fields }) as Task;
const claim = (owner: string, at: number, extra: Partial<Task> = {}): Task =>
  task({ status: 'active', owner, claimed_at: iso(at), lease_until: iso(at + 60), version: 2, updated: iso(at), ...extra });

describe('claims are leases', () => {
  it('a claim records owner, claimed_at and lease_until; an expired one is taken over and the old owner recorded', () => {
    const first = claimed(task(), 'alice', T0, 60).task;
    expect(first).toMatchObject({ status: 'active', owner: 'alice', claimed_at: iso(0), lease_until: iso(60), version: 2 });
    expect(leaseExpired(first, T0 + 59 * 60_000)).toBe(false);
    expect(leaseExpired(first, T0 + 60 * 60_000)).toBe(true);
    const taken = claimed(first, 'bob', T0 + 61 * 60_000, 60);
    expect(taken.tookOverFrom).toEqual({ agent: 'alice', lease_until: iso(60) });
    expect(taken.task.conflicts).toEqual([{ agent: 'alice', claimed_at: iso(0), lost_to: 'bob', reason: 'lease expired' }]);
    expect(lostBy([taken.task], 'alice').map((loss) => loss.conflict.lost_to)).toEqual(['bob']);
    expect(lostBy([taken.task], 'bob')).toEqual([]);
  });

  it.each([
    ['more than half left: no renewal', 31, false, undefined],
    ['less than half left: renewed', 29, false, iso(60)],
    ['heartbeat renews always', 59, true, iso(60)],
  ])('%s', (_name, leftMinutes, force, expected) => {
    const held = claim('alice', leftMinutes - 60, { lease_until: iso(leftMinutes) });
    expect(renewed(held, 'alice', T0, 60, force)?.lease_until).toBe(expected);
    expect(renewed(held, 'bob', T0, 60, true)).toBeUndefined();
  });

  it('claimable: open and ready, or active with an expired lease; a claim from before leases never expires', () => {
    const tasks = [
      task({ id: 't-open', priority: 'P2' }),
      claim('alice', -120, { id: 't-expired', priority: 'P0' }),
      claim('bob', -10, { id: 't-live', priority: 'P0' }),
      task({ id: 't-legacy', status: 'active', owner: 'carol', priority: 'P0' }),
      task({ id: 't-blocked', depends_on: ['t-open'], priority: 'P0' }),
    ];
    expect(claimableTasks(tasks, T0).map((t) => t.id)).toEqual(['t-expired', 't-open']);
  });

  it('a lease ending further ahead than any claim could set (a planted 2030) is not credible; a clock a few minutes ahead is', () => {
    const planted = claim('mallory', 0, { id: 't-planted', lease_until: '2030-01-01T00:00:00.000Z' });
    const ahead = claim('bob', 10, { id: 't-ahead' }); // bob's clock 10 minutes ahead of ours
    expect(claimableTasks([planted, ahead], T0, 60).map((t) => t.id)).toEqual(['t-planted']);
    expect(claimed(planted, 'alice', T0, 60).tookOverFrom?.agent).toBe('mallory');
    expect(leaseExpired(ahead, T0, 60)).toBe(false);
  });
});

describe('merging claims (earliest claim wins, tie by agent name, the loser recorded)', () => {
  const base = task();
  it.each([
    ['the earlier claim wins', claim('bob', 1), claim('alice', 2), 'bob', 'alice'],
    ['the same time: the name that sorts first wins', claim('bob', 1), claim('alice', 1), 'alice', 'bob'],
  ])('%s, whichever side merges', (_name, x, y, winner, loser) => {
    for (const [ours, theirs] of [[x, y], [y, x]] as const) {
      const [merged] = mergeTasks([base], [ours], [theirs]);
      expect(merged).toMatchObject({ owner: winner, status: 'active' });
      expect(merged!.conflicts).toEqual([expect.objectContaining({ agent: loser, lost_to: winner, reason: 'double claim' })]);
    }
    expect(mergeTasks([base], [x], [y])).toEqual(mergeTasks([base], [y], [x]));
  });

  it("in a double claim the winner's status stands; the loser's is kept in its conflict entry", () => {
    const [merged] = mergeTasks([base], [claim('alice', 1)], [claim('bob', 2, { status: 'done' })]);
    expect(merged).toMatchObject({ owner: 'alice', status: 'active' });
    expect(merged!.conflicts?.[0]).toMatchObject({ agent: 'bob', status: 'done' });
  });

  it('three clones: every loser recorded once, the merge of merges agrees', () => {
    const [ab] = mergeTasks([base], [claim('alice', 2)], [claim('bob', 3)]);
    const [abc] = mergeTasks([base], [claim('carol', 1)], [ab!]);
    expect(abc!.owner).toBe('carol');
    expect(abc!.conflicts!.map((c) => `${c.agent}>${c.lost_to}`)).toEqual(['alice>carol', 'bob>alice']);
    const [again] = mergeTasks([ab!], [abc!], [ab!]);
    expect(again!.conflicts).toEqual(abc!.conflicts);
  });

  it.each([
    ['only one side claimed', task(), claim('bob', 1), 'bob'],
    ['a claim beats a release', claim('alice', 0, { status: 'open', owner: undefined, claimed_at: undefined, lease_until: undefined }), claim('bob', 1), 'bob'],
  ])('%s', (_name, ours, theirs, owner) => {
    const { fields } = mergeClaim(claim('alice', -5), ours, theirs);
    expect(fields.owner).toBe(owner);
  });

  it('the same claim renewed on both sides keeps the later lease, no conflict', () => {
    const held = claim('alice', 0);
    const { fields } = mergeClaim(held, { ...held, lease_until: iso(90) }, { ...held, lease_until: iso(70) });
    expect(fields).toEqual({ owner: 'alice', claimed_at: iso(0), lease_until: iso(90) });
  });
});

describe('check: two live owners', () => {
  it('flags two active lines of one task under different owners with live leases, not an expired one', () => {
    expect(liveOwnerClashes([claim('alice', 0), claim('bob', 1)], T0 + 1)).toEqual([{ id: 't-1', owners: ['alice', 'bob'] }]);
    expect(liveOwnerClashes([claim('alice', -120), claim('bob', 1)], T0 + 1)).toEqual([]);
    expect(liveOwnerClashes([claim('alice', 0)], T0)).toEqual([]);
  });
});

describe('a merge never writes a lower schema number (an older agentstate merging newer state)', () => {
  const header = (schema: number, key: string) => `# comment\nschema: ${schema}\n${key}:\n`;
  it('log, backlog and runtime keep the newer side\'s schema', async () => {
    const { mergeBacklogText, mergeLogText, mergeRuntimeText } = await import('../../src/store/merge-files.js');
    const line = (id: string) => `- {"id":"${id}","at":"2026-01-01T00:00:00Z"}\n`;
    const log = await mergeLogText(header(1, 'events'), header(1, 'events') + line('ev-aaaa'), header(9, 'events') + line('ev-bbbb'), 'log');
    expect(log).toMatch(/^schema: 9$/m);
    expect(log).toContain('ev-aaaa');
    const backlog = await mergeBacklogText(header(1, 'items'), header(1, 'items'), header(9, 'items'));
    expect(backlog).toMatch(/^schema: 9$/m);
    const runtime = (schema: number, version: number) => JSON.stringify({ schema, version, fields: {} });
    expect(JSON.parse(mergeRuntimeText(runtime(1, 1), runtime(1, 2), runtime(9, 3))).schema).toBe(9);
  });
});
