import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { blockDigestProblem, blockFor, comparable, digestOf, findBlock, spliceBlock, withoutState } from '../core/boot-block.js';
import { render, type Snapshot } from '../core/briefing.js';
import { indexEntry } from '../core/decisions.js';
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
 */
export function bootBlock(whole: Snapshot, budgetTokens: number): string {
  return blockFor(render(whole, { mode: 'boot', budgetTokens }).text, digestOf(JSON.stringify(showable(whole))));
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

/** The block, rendered from the state files. */
export async function renderBootBlock(context: StateContext): Promise<string> {
  return bootBlock(await buildSnapshot(context, { mode: 'boot', full: true }), context.config.boot.budget);
}

export interface BootStatus {
  fresh: boolean;
  reason?: string;
  expected: string;
}

/**
 * Whether the block is what the state gives. With a snapshot at hand that is not `whole` (resume's),
 * only what the block shows is compared, not the `state` digest; a block an older version wrote
 * (no `state`) is compared the same way, and the next write brings it up to date.
 */
export async function bootStatus(context: StateContext, snapshot?: Snapshot, { whole = false }: { whole?: boolean } = {}): Promise<BootStatus> {
  const budget = context.config.boot.budget;
  const expected = !snapshot ? await renderBootBlock(context) : whole ? bootBlock(snapshot, budget) : blockFor(render(snapshot, { mode: 'boot', budgetTokens: budget }).text);
  const path = bootPath(context);
  if (!existsSync(path)) return { fresh: false, reason: `${BOOT_FILE} is missing`, expected };
  const current = findBlock(readFileSync(path, 'utf8'));
  if (!current) return { fresh: false, reason: `${BOOT_FILE} has no agentstate block`, expected };
  if (current.damaged) return { fresh: false, reason: `the agentstate block is damaged (${current.damaged})`, expected };
  const block = comparable(current.block);
  const loose = (snapshot !== undefined && !whole) || withoutState(block) === block;
  if (block === expected || (loose && withoutState(block) === withoutState(expected))) return { fresh: true, expected };
  return { fresh: false, reason: blockDigestProblem(current.block) ?? 'the block is older than the state it summarizes', expected };
}

/**
 * Regenerate the block in the same transaction; AGENTS.md stays byte-identical when nothing it
 * shows changed. A damaged block (several markers, one missing) is repaired: one block, the
 * user's text kept, and the command says so.
 */
export async function refreshBoot(tx: Transaction): Promise<boolean> {
  const path = bootPath(tx.context);
  const existing = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  const damaged = existing === undefined ? undefined : findBlock(existing)?.damaged;
  const next = spliceBlock(existing, await renderBootBlock(tx.context));
  if (next === existing) return false;
  if (damaged) tx.context.warn(`${BOOT_FILE}: repaired a damaged agentstate block (${damaged}); your text outside it is kept`);
  tx.replace(path, next);
  return true;
}

/** What is wrong with the markers of AGENTS.md, if anything (doctor). */
export function bootBlockDamage(context: StateContext): string | undefined {
  const path = bootPath(context);
  return existsSync(path) ? findBlock(readFileSync(path, 'utf8'))?.damaged : undefined;
}
