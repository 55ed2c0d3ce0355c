import { describe, expect, it } from 'vitest';
import type { CheckedLines } from '../../src/core/boot-checks.js';
import { render, type Snapshot } from '../../src/core/briefing.js';
import type { DecisionView } from '../../src/core/decisions.js';
import type { Task } from '../../src/core/schemas.js';

/**
 * The renderer no longer renders the open decisions the budget cuts anyway (issue 20: the AGENTS.md
 * block of a state with 1,100 open decisions rendered all of them on every write). The text must
 * stay the same byte for byte: compared here with the render that draws every item (`drawEvery`,
 * the renderer as it was), over states from empty to large, every budget from "only the headings
 * fit" to "everything fits", both modes.
 */
const renderBefore: typeof render = (state, options) => render(state, { ...options, drawEvery: true });
const at = (i: number) => new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString();

function decision(i: number, { standing = false } = {}): DecisionView {
  // Lines of very different lengths (and multi-byte text), some with expectations (their check slots).
  const long = i % 7 === 0 ? ` ${'ü longer text '.repeat(i % 30)}` : '';
  return {
    id: `d-${standing ? 's' : 'o'}${i.toString(32).padStart(9, '0')}`,
    at: at(i),
    agent: `agent-${i % 3}`,
    title: `decision ${i}${long}`,
    why: i % 5 === 0 ? 'because\tof a tab and \u001b[31mred\u001b[0m' : 'benchmark',
    ...(i % 4 === 0 ? { action: `do thing ${i}` } : {}),
    standing,
    tags: i % 6 === 0 ? ['a', 'b'] : [],
    status: 'open',
    ...(i % 9 === 0 ? { expect: [{ kind: 'file' as const, value: `src/f${i}.ts` }] } : {}),
  };
}

const task = (i: number): Task => ({ id: `t-${i}`, title: `task ${i}`, status: 'open', priority: `P${i % 4}`, version: 1, created: at(i), updated: at(i), ...(i % 2 ? { epic: 'e' } : {}) }) as Task;

function snapshot(open: number, { standing = 0, tasks = 12, handoff = true, learnings = 3 } = {}): Snapshot {
  return {
    generatedAt: at(100_000),
    repo: { name: 'repo', branch: 'main', head: 'abcdef1234' },
    ...(handoff ? { handoff: { id: 'ev-h', at: at(5), agent: 'a', done: ['one', 'two'], remaining: ['three'], uncertain: [], note: 'n' } } : {}),
    openDecisions: Array.from({ length: open }, (_, i) => decision(i)),
    standing: Array.from({ length: standing }, (_, i) => decision(i, { standing: true })),
    inProgress: [{ id: 't-p', title: 'claimed', priority: 'P1', owner: 'a', since: at(3), stale: false }],
    blocked: [{ id: 't-b', title: 'blocked', priority: 'P2', marked: true, blockedBy: [], note: 'waits' }],
    nextTasks: Array.from({ length: tasks }, (_, i) => task(i)),
    recentDecisions: [decision(1)],
    recentEvents: Array.from({ length: 20 }, (_, i) => ({ id: `ev-${i}`, at: at(i), type: 'note', agent: 'a', summary: `event ${i}` })),
    warnings: ['w'],
    learnings: Array.from({ length: learnings }, (_, i) => ({ id: `l-${i}`, at: at(i), agent: 'a', text: `lesson ${i}`, category: 'note', tags: [], refs: [], confirmations: 0, status: 'live' as const })),
  };
}

// What a check found, for some of the decisions with expectations (the rest show nothing).
const checked: CheckedLines = (view) => (Number.parseInt(view.id.slice(3), 32) % 2 ? ['  - checked at abcdef1, 2026-01-01 00:00 UTC', `    - not met: file ${view.id}`] : undefined);

describe('render within a budget, without rendering what the budget cuts', () => {
  const budgets = [undefined, 1, 10, 40, 80, 150, 300, 500, 800, 1200, 1500, 2000, 3000, 6000, 20_000, 60_000];
  const states: Array<[string, Snapshot]> = [
    ['empty', snapshot(0, { tasks: 0, handoff: false, learnings: 0 })],
    ['one open decision', snapshot(1)],
    ['30 open decisions', snapshot(30)],
    ['300 open decisions and 40 standing orders', snapshot(300, { standing: 40 })],
    ['1,100 open decisions (the bench state)', snapshot(1100, { tasks: 600 })],
    ['1,100 open decisions, nothing else', snapshot(1100, { tasks: 0, handoff: false, learnings: 0 })],
  ];

  it('gives the same text and cut counts as the renderer that rendered every item, byte for byte', () => {
    let compared = 0;
    for (const [name, state] of states) {
      for (const budgetTokens of budgets) {
        for (const mode of ['boot', 'resume'] as const) {
          const options = { mode, ...(budgetTokens === undefined ? {} : { budgetTokens }), ...(mode === 'boot' ? { checked } : {}) };
          const before = renderBefore(state, options);
          const now = render(state, options);
          expect(now.text, `${name}, ${mode}, budget ${budgetTokens}`).toBe(before.text);
          expect(now.cut, `${name}, ${mode}, budget ${budgetTokens}`).toEqual(before.cut);
          compared++;
        }
      }
    }
    expect(compared).toBe(states.length * budgets.length * 2);
  });

  it('every budget from 1 to 3,000 tokens at 1,100 open decisions', () => {
    const state = snapshot(1100, { standing: 3, tasks: 50 });
    for (let budgetTokens = 1; budgetTokens <= 3000; budgetTokens += 7) {
      const options = { mode: 'boot' as const, budgetTokens, checked };
      expect(render(state, options).text, `budget ${budgetTokens}`).toBe(renderBefore(state, options).text);
    }
  });
});
