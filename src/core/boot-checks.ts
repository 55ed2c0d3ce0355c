import { comparable, neutralised } from './boot-block.js';
import type { DecisionView } from './decisions.js';
import { describeExpectation, type DecisionCheck, type Expectation } from './expectations.js';
import { inlineText } from './text.js';

/**
 * The AGENTS.md block's snapshot of what the checks of an open decision found (`decide --expect`):
 * a verdict line stamped with where and when it was checked, then one line per expectation with
 * its evidence. Pure. The block is committed and checked for freshness (`boot --check`, `check`,
 * the pre-commit hook), and the verdict changes whenever the user's work lands, so:
 * - freshness compares the block with the state *and the snapshot the block already holds*
 *   (`checkedLinesOf`): a verdict that went stale is never a failure; the next agentstate write
 *   brings it up to date in the commit it makes anyway;
 * - the snapshot is left out of the `state` digest (it is not state);
 * - the budget is spent as if every snapshot took the room set aside for it (`checkReserve`, a
 *   function of the decision's expectations alone), so which items the budget cuts never depends
 *   on what a check found: a block rendered with a snapshot and one rendered without agree on
 *   everything else.
 */
export type CheckedLines = (view: DecisionView, decisionLine: string) => readonly string[] | undefined;

/** The longest an expectation's description and its evidence may be in a snapshot line (bytes). */
const DESCRIPTION_BYTES = 80;
const EVIDENCE_BYTES = 120;
const HEADER_BYTES = 160;
const ITEM_PREFIX = '    - not met: ';
const ITEM_JOIN = ' — ';
const HEADER_PREFIX = '  - checked ';
const HEADER_NOTE = ' (a snapshot; `agentstate resume` checks again)';

const bytes = (text: string) => Buffer.byteLength(text);

/** Text cut to at most `max` bytes, whole characters, with `…` when cut. */
export function clip(text: string, max: number): string {
  if (bytes(text) <= max) return text;
  let kept = '';
  let size = bytes('…');
  for (const char of text) {
    size += bytes(char);
    if (size > max) break;
    kept += char;
  }
  return `${kept}…`;
}

/** An expectation as a snapshot line names it: escaped (a hostile clone's text acts on no screen), no marker, bounded. */
const named = (expect: Expectation) => clip(neutralised(inlineText(describeExpectation(expect))), DESCRIPTION_BYTES);

/** The room (bytes, line ends included) set aside in the block for a decision's snapshot. */
export function checkReserve(expects: readonly Expectation[]): number {
  return expects.reduce((sum, expect) => sum + bytes(ITEM_PREFIX) + bytes(named(expect)) + bytes(ITEM_JOIN) + EVIDENCE_BYTES + 1, HEADER_BYTES + 1);
}

/** Where and when the checks ran: `at <HEAD short sha>, <UTC minute>` (no sha without a commit). */
export function checkStamp(head: string | undefined, now: Date): string {
  const minute = now.toISOString().slice(0, 16).replace('T', ' ');
  return `${head ? `at ${head.slice(0, 7)}, ` : ''}${minute} UTC`;
}

/** The snapshot lines of one decision's check, each within its share of `checkReserve`. */
export function checkLines(check: DecisionCheck, stamp: string): string[] {
  const header = clip(neutralised(`${HEADER_PREFIX}${inlineText(stamp)}: ${check.label}${HEADER_NOTE}`), HEADER_BYTES);
  const items = check.results.map((result) => {
    const found = clip(neutralised(inlineText(result.summary ?? result.evidence ?? result.reason ?? '')), EVIDENCE_BYTES);
    return `    - ${result.met ? 'met' : 'not met'}: ${named(result.expect)}${ITEM_JOIN}${found}`;
  });
  return [header, ...items];
}

const STAMP = /^ {2}- checked (?:at [0-9a-f]+, )?\d{4}-\d\d-\d\d \d\d:\d\d UTC: /;

/** Two snapshots that say the same, whenever and wherever each was taken: the older one is kept (no rewrite for a moved HEAD). */
export function sameFindings(a: readonly string[], b: readonly string[]): boolean {
  const unstamped = (lines: readonly string[]) => lines.map((line) => line.replace(STAMP, HEADER_PREFIX)).join('\n');
  return unstamped(a) === unstamped(b);
}

/** The lines of the open decisions section of a block (every one of them agentstate's: record text is rendered on one line). */
function openSection(block: string): string[] {
  const lines = comparable(block).split('\n');
  const start = lines.indexOf('### Open decisions');
  if (start < 0) return [];
  const end = lines.findIndex((line, i) => i > start && line.startsWith('### '));
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

/** Whether a block shows an open decision with expectations: then a write checks them again. */
export const showsExpectations = (block: string) => openSection(block).some((line) => line.startsWith('  - expects: '));

/**
 * The snapshots a block holds, keyed by the line of the decision they are under (as written,
 * markers neutralised). Only the open decisions section is read, so a handoff line or a title
 * cannot pass for a snapshot.
 */
export function checkedLinesOf(block: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  let decision: string | undefined;
  let collecting: string[] | undefined;
  for (const line of openSection(block)) {
    if (line.startsWith('- ')) {
      decision = line;
      collecting = undefined;
    } else if (decision && line.startsWith(HEADER_PREFIX) && !found.has(decision)) {
      collecting = [line];
      found.set(decision, collecting);
    } else if (collecting && line.startsWith('    - ')) {
      collecting.push(line);
    } else {
      collecting = undefined;
    }
  }
  return found;
}
