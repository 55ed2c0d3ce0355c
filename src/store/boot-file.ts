import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { blockDigestProblem, blockFor, comparable, digestOf, findBlock, neutralised, spliceBlock, withoutState } from '../core/boot-block.js';
import { checkedLinesOf, checkLines, checkStamp, sameFindings, showsExpectations, type CheckedLines } from '../core/boot-checks.js';
import { render, type Snapshot } from '../core/briefing.js';
import { indexEntry } from '../core/decisions.js';
import { operationInProgress, readHead } from '../git/repo.js';
import { insideGitHook } from '../git/run.js';
import { checkDecisions } from './expectations.js';
import { BOOT_FILE } from './layout.js';
import { buildSnapshot } from './snapshot.js';
import type { StateContext } from './context.js';
import type { Transaction } from './transaction.js';

/**
 * AGENTS.md: agentstate owns only the block between the markers; every other byte is the user's
 * and is preserved exactly. The text rules (markers, damage, repair) are in core/boot-block.ts.
 */
export { BEGIN, END, blockDigestProblem, blockFor, findBlock, spliceBlock, type BlockLocation } from '../core/boot-block.js';

/**
 * The block of a state, from a snapshot of everything it could show (`full`: every ready task);
 * the boot rendering shows the first ones, the `state` digest covers them all (see blockFor).
 * `checked` gives what the checks of open decisions found (core/boot-checks.ts): shown, covered by
 * the body's digest, never by the `state` digest.
 */
export function bootBlock(whole: Snapshot, budgetTokens: number, checked?: CheckedLines): string {
  return blockFor(render(whole, { mode: 'boot', budgetTokens, ...(checked ? { checked } : {}) }).text, digestOf(JSON.stringify(showable(whole))));
}

/**
 * What the block could show, as data, alike whether it was read from the files or merged in a
 * driver: decisions as index entries, every ready task as its line shows it (in the block's order),
 * the task board's other lists, the live learnings in rank order.
 */
function showable(snapshot: Snapshot): unknown {
  return [
    snapshot.handoff ?? null,
    snapshot.openDecisions.map(indexEntry),
    snapshot.standing.map(indexEntry),
    snapshot.nextTasks.map((task) => [task.id, task.priority, task.title, task.epic ?? null, task.owner ?? null]),
    snapshot.inProgress,
    snapshot.blocked,
    snapshot.learnings ?? [],
  ];
}

export const bootPath = (context: StateContext) => join(context.root, BOOT_FILE);

/** The check snapshots a block already holds, as the renderer asks for them (freshness never re-runs a check). */
function heldChecks(block: string | undefined): CheckedLines | undefined {
  const held = block === undefined ? undefined : checkedLinesOf(block);
  return held?.size ? (_view, line) => held.get(neutralised(line)) : undefined;
}

/** Writes regenerate the block: its commit checks read at most this many commits (20,000 took 250 ms; 1,000 about 10 ms). */
const BLOCK_MAX_COMMITS = 1000;

/**
 * The checks of the open decisions with expectations, run now (nothing runs when there are none).
 * Where a check finds what the block already says, the block's lines are kept with their stamp:
 * a moved HEAD alone never rewrites AGENTS.md.
 */
function liveChecks(context: StateContext, snapshot: Snapshot, block: string | undefined): CheckedLines | undefined {
  if (!snapshot.openDecisions.some((view) => view.expect?.length)) return undefined;
  // A write that cannot commit now (in a git hook, as post-merge's `boot`; during a merge or a
  // rebase) keeps the snapshot: changed alone, AGENTS.md would stay modified in the work tree, in
  // the way of the user's next `git pull`. The next write that commits checks again.
  if (context.repo && (insideGitHook() || operationInProgress(context.repo))) return heldChecks(block);
  const checks = checkDecisions(context, snapshot.openDecisions, { maxCommits: BLOCK_MAX_COMMITS });
  const stamp = checkStamp(headSha(context), new Date());
  const held = block === undefined ? new Map<string, string[]>() : checkedLinesOf(block);
  return (view, line) => {
    const check = checks.get(view.id);
    if (!check) return undefined;
    const live = checkLines(check, stamp);
    const before = held.get(neutralised(line));
    return before && sameFindings(before, live) ? before : live;
  };
}

function headSha(context: StateContext): string | undefined {
  try {
    return context.repo ? readHead(context.repo).sha : undefined;
  } catch {
    return undefined;
  }
}

/** The block in AGENTS.md, if it is there and whole. */
function currentBlock(context: StateContext): { text?: string; block?: string; damaged?: string } {
  const path = bootPath(context);
  if (!existsSync(path)) return {};
  const text = readFileSync(path, 'utf8');
  const found = findBlock(text);
  return { text, ...(found && !found.damaged ? { block: found.block } : {}), ...(found?.damaged ? { damaged: found.damaged } : {}) };
}

/** Whether AGENTS.md shows an open decision with expectations: a write then checks them again (derived.ts). */
export function bootShowsExpectations(context: StateContext): boolean {
  const { block } = currentBlock(context);
  return block !== undefined && showsExpectations(block);
}

export interface BootStatus {
  fresh: boolean;
  reason?: string;
  expected: string;
}

/**
 * Whether the block is what the state gives, with the check snapshots the block holds (a verdict
 * gone stale since is not a stale block). With a snapshot at hand that is not `whole` (resume's),
 * only what the block shows is compared, not the `state` digest; a block an older version wrote
 * (no `state`) is compared the same way, and the next write brings it up to date.
 */
export async function bootStatus(context: StateContext, snapshot?: Snapshot, { whole = false }: { whole?: boolean } = {}): Promise<BootStatus> {
  const budget = context.config.boot.budget;
  const current = currentBlock(context);
  const held = heldChecks(current.block);
  const expected =
    snapshot && !whole
      ? blockFor(render(snapshot, { mode: 'boot', budgetTokens: budget, ...(held ? { checked: held } : {}) }).text)
      : bootBlock(snapshot ?? (await buildSnapshot(context, { mode: 'boot', full: true })), budget, held);
  if (current.text === undefined) return { fresh: false, reason: `${BOOT_FILE} is missing`, expected };
  if (current.damaged) return { fresh: false, reason: `the agentstate block is damaged (${current.damaged})`, expected };
  if (current.block === undefined) return { fresh: false, reason: `${BOOT_FILE} has no agentstate block`, expected };
  const block = comparable(current.block);
  const loose = (snapshot !== undefined && !whole) || withoutState(block) === block;
  if (block === expected || (loose && withoutState(block) === withoutState(expected))) return { fresh: true, expected };
  return { fresh: false, reason: blockDigestProblem(current.block) ?? 'the block is older than the state it summarizes', expected };
}

/**
 * Regenerate the block in the same transaction; AGENTS.md stays byte-identical when nothing it
 * shows changed (a check snapshot included: one that finds something new is brought up to date).
 * A damaged block (several markers, one missing) is repaired: one block, the user's text kept,
 * and the command says so.
 */
export async function refreshBoot(tx: Transaction): Promise<boolean> {
  const { context } = tx;
  const { text: existing, block, damaged } = currentBlock(context);
  const snapshot = await buildSnapshot(context, { mode: 'boot', full: true });
  const next = spliceBlock(existing, bootBlock(snapshot, context.config.boot.budget, liveChecks(context, snapshot, block)));
  if (next === existing) return false;
  if (damaged) context.warn(`${BOOT_FILE}: repaired a damaged agentstate block (${damaged}); your text outside it is kept`);
  tx.replace(bootPath(context), next);
  return true;
}

/** What is wrong with the markers of AGENTS.md, if anything (doctor). */
export function bootBlockDamage(context: StateContext): string | undefined {
  return currentBlock(context).damaged;
}
