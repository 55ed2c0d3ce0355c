import { describe, expect, it } from 'vitest';
import { cli, json, read } from '../helpers/cli.js';
import { cluster, ok, pull, push } from '../helpers/clones.js';

type Rec = { id: string; duplicate_of?: string; status?: string };
const idOf = (dir: string, ...args: string[]) => ok(dir, '--quiet', ...args);

/**
 * What `--once KEY` promises across clones (README, "--once across clones"): each clone writes at
 * most one record per key; two clones that ran the same step before exchanging state both keep
 * their record through a merge (nothing acknowledged is lost), and from then on every reader and
 * every `--once` lookup treats them as one: the earliest (by time, then id) is the record, the
 * later one is marked as its duplicate.
 */
describe('--once across clones', () => {
  it('log, decide, catch, learn and backlog add run with one key on two clones: both kept, read as one', () => {
    const { alice, bob } = cluster(['alice', 'bob']);
    const first = {
      event: idOf(alice, 'log', 'deploy 42 done', '--once', 'deploy-42'),
      decision: idOf(alice, 'decide', 'use plan B', '--why', 'A failed', '--once', 'plan'),
      catch: idOf(alice, 'catch', 'lint', 'unused import', '--once', 'lint-1'),
      task: idOf(alice, 'backlog', 'add', 'write the changelog', '--once', 'changelog'),
      learning: idOf(alice, 'learn', 'the cache needs a warm-up', '--once', 'warm-up'),
    };
    push(alice);
    const second = {
      event: idOf(bob, 'log', 'deploy 42 done', '--once', 'deploy-42'),
      decision: idOf(bob, 'decide', 'use plan B', '--why', 'A failed', '--once', 'plan'),
      catch: idOf(bob, 'catch', 'lint', 'unused import', '--once', 'lint-1'),
      task: idOf(bob, 'backlog', 'add', 'write the changelog', '--once', 'changelog'),
      learning: idOf(bob, 'learn', 'the cache needs a warm-up', '--once', 'warm-up'),
    };
    ok(bob, 'learn', '--confirm', second.learning, '--note', 'held on bob');
    for (const kind of Object.keys(first) as Array<keyof typeof first>) expect(second[kind], kind).not.toBe(first[kind]);
    const merged = pull(bob);
    expect(merged.status, merged.stderr).toBe(0);
    push(bob);
    expect(pull(alice).status).toBe(0);

    for (const dir of [alice, bob]) {
      // Nothing acknowledged is lost.
      for (const id of [...Object.values(first), ...Object.values(second)]) {
        expect(read(dir, '.agentstate/events.yaml') + read(dir, '.agentstate/decisions.yaml') + read(dir, '.agentstate/catch-log.tsv') + read(dir, '.agentstate/backlog.yaml') + read(dir, '.agentstate/learnings.yaml'), id).toContain(id);
      }
      // Lookups answer with the earliest, on both clones.
      expect(idOf(dir, 'log', 'deploy 42 done', '--once', 'deploy-42')).toBe(first.event);
      expect(idOf(dir, 'decide', 'use plan B', '--why', 'A failed', '--once', 'plan')).toBe(first.decision);
      expect(idOf(dir, 'catch', 'lint', 'unused import', '--once', 'lint-1')).toBe(first.catch);
      expect(idOf(dir, 'backlog', 'add', 'write the changelog', '--once', 'changelog')).toBe(first.task);
      expect(idOf(dir, 'learn', 'the cache needs a warm-up', '--once', 'warm-up')).toBe(first.learning);
    }
    {
      const dir = bob;
      // Readers treat them as one; the later is marked as the duplicate.
      const events = json<{ events: Rec[] }>(cli(dir, ['events', '--json'])).events;
      expect(events.find((event) => event.id === second.event)?.duplicate_of).toBe(first.event);
      const recent = json<{ recentEvents: Rec[] }>(cli(dir, ['resume', '--format', 'json'])).recentEvents.map((event) => event.id);
      expect(recent).toContain(first.event);
      expect(recent).not.toContain(second.event);
      const open = json<{ decisions: Rec[] }>(cli(dir, ['decisions', '--open', '--json'])).decisions.map((decision) => decision.id);
      expect(open).toEqual([first.decision]);
      const tasks = json<{ tasks: Rec[] }>(cli(dir, ['backlog', 'list', '--json'])).tasks.map((task) => task.id);
      expect(tasks).toEqual([first.task]);
      const duplicate = json<{ task: Rec }>(cli(dir, ['backlog', 'show', second.task, '--json'])).task;
      expect(duplicate).toMatchObject({ duplicate_of: first.task, status: 'dropped' });
      // One lesson, which the confirmation of its duplicate counts for.
      const lessons = json<{ learnings: Array<Rec & { confirmations: number }> }>(cli(dir, ['learnings', '--json'])).learnings;
      expect(lessons.map((lesson) => [lesson.id, lesson.confirmations])).toEqual([[first.learning, 1]]);
      expect(read(dir, 'AGENTS.md')).not.toContain(second.learning);
      // The id this clone was given still works: it names the one record.
      ok(dir, 'learn', '--confirm', second.learning, '--note', 'held again');
      expect(json<{ learnings: Array<{ confirmations: number }> }>(cli(dir, ['learnings', '--json'])).learnings[0]!.confirmations).toBe(2);
      ok(dir, 'outcome', second.decision, 'done');
      expect(json<{ decisions: Rec[] }>(cli(dir, ['decisions', '--all', '--json'])).decisions.find((decision) => decision.id === first.decision)?.status).toBe('done');
    }
  });
});
