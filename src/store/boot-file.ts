import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { blockDigestProblem, blockFor, comparable, findBlock, spliceBlock } from '../core/boot-block.js';
import { render, type Snapshot } from '../core/briefing.js';
import { BOOT_FILE } from './layout.js';
import { buildSnapshot } from './snapshot.js';
import type { StateContext } from './context.js';
import type { Transaction } from './transaction.js';

/**
 * AGENTS.md: agentstate owns only the block between the markers; every other byte is the user's
 * and is preserved exactly. The text rules (markers, damage, repair) are in core/boot-block.ts.
 */
export { BEGIN, END, blockDigestProblem, blockFor, findBlock, spliceBlock, type BlockLocation } from '../core/boot-block.js';

export const bootPath = (context: StateContext) => join(context.root, BOOT_FILE);

/** The block, rendered from a snapshot (built here unless the caller already has one). */
export async function renderBootBlock(context: StateContext, snapshot?: Snapshot): Promise<string> {
  const source = snapshot ?? (await buildSnapshot(context, { mode: 'boot' }));
  return blockFor(render(source, { mode: 'boot', budgetTokens: context.config.boot.budget }).text);
}

export interface BootStatus {
  fresh: boolean;
  reason?: string;
  expected: string;
}

export async function bootStatus(context: StateContext, snapshot?: Snapshot): Promise<BootStatus> {
  const expected = await renderBootBlock(context, snapshot);
  const path = bootPath(context);
  if (!existsSync(path)) return { fresh: false, reason: `${BOOT_FILE} is missing`, expected };
  const current = findBlock(readFileSync(path, 'utf8'));
  if (!current) return { fresh: false, reason: `${BOOT_FILE} has no agentstate block`, expected };
  if (current.damaged) return { fresh: false, reason: `the agentstate block is damaged (${current.damaged})`, expected };
  if (comparable(current.block) === expected) return { fresh: true, expected };
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
