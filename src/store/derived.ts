import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { AgentstateError } from '../errors.js';
import { BEGIN, bootShowsExpectations } from './boot-file.js';
import { ARCHIVE_DIR, BOOT_FILE, FILES } from './layout.js';
import { localDir, localPath } from './local.js';
import { currentIndexText, readDecisionViews } from './decisions-file.js';
import { latestHandoff } from './snapshot.js';
import type { StateContext } from './context.js';
import type { Transaction } from './transaction.js';

/**
 * The derived files (decisions-index.yaml and the AGENTS.md block) are kept fresh by every command
 * that changes their sources. Git changes sources without us (a merge where git took one side of a
 * derived file without running its driver, a rebase, a checkout), so each write command first asks
 * a cheap question: did anything change the sources or the derived files since our last write? The
 * answer is a stamp of sizes and modification times (a few stat calls), recorded under the git dir
 * after each command, with the id of the latest handoff (the only thing the block takes from the
 * event log, so a changed event log alone costs one look at its handoffs). Only when the stamp
 * differs are the derived files rebuilt and compared: that is work done while the lock is held, so
 * it is kept for when it can matter. One thing changes without touching a file: what the checks
 * of an open decision's expectations find (`decide --expect`, the user's own commits); while the
 * block shows such a decision (noted in the stamp), every write regenerates the block, which keeps
 * AGENTS.md as it is unless a check found something new (store/boot-file.ts).
 */
const STAMP_FILE = 'derived-stamp';

interface Stamp {
  files: Record<string, string>;
  handoff: string | null;
  /** The block shows an open decision with expectations. */
  expects?: boolean;
}

const isEventLog = (name: string) => name === `${FILES.events}` || name.startsWith(`${ARCHIVE_DIR}/events.`);

/** Size and modification time of every file the derived files are made from, and of the derived files. */
function fileStamps(context: StateContext): Record<string, string> {
  const archive = context.path(ARCHIVE_DIR);
  const segments = existsSync(archive) ? readdirSync(archive).filter((name) => /^(decisions|events|learnings)\./.test(name)) : [];
  const names = [FILES.config, FILES.decisions, FILES.decisionsIndex, FILES.events, FILES.backlog, FILES.learnings, `../${BOOT_FILE}`, ...segments.map((name) => `${ARCHIVE_DIR}/${name}`)];
  const stamps: Record<string, string> = {};
  for (const name of names) {
    try {
      const stats = statSync(context.path(name));
      stamps[name] = `${stats.size} ${stats.mtimeMs}`;
    } catch {
      stamps[name] = '-';
    }
  }
  return stamps;
}

function readStamp(context: StateContext): Stamp | undefined {
  try {
    return JSON.parse(readFileSync(localPath(context, STAMP_FILE), 'utf8')) as Stamp;
  } catch {
    return undefined;
  }
}

/** What changed since the stamp: undefined for nothing, 'events' for the event log alone, 'state' otherwise. */
function changedSince(stamp: Stamp | undefined, files: Record<string, string>): 'events' | 'state' | undefined {
  if (!stamp || typeof stamp.files !== 'object' || stamp.files === null) return 'state';
  const names = new Set([...Object.keys(stamp.files), ...Object.keys(files)]);
  const changed = [...names].filter((name) => stamp.files[name] !== files[name]);
  if (changed.length === 0) return undefined;
  return changed.every(isEventLog) ? 'events' : 'state';
}

const handoffId = (context: StateContext) => latestHandoff(context)?.id ?? null;
/** The latest handoff as a command found it before its own writes, where known (the stamp after it is written from it). */
const handoffBefore = new WeakMap<Transaction, string | null>();
/** The same for whether the block shows expectations. */
const expectsBefore = new WeakMap<Transaction, boolean>();

/**
 * Before a write command's own changes: when the stamp says someone else changed the state since
 * our last write, regenerate the decision index (if it differs) and have the AGENTS.md block
 * refreshed in the same commit.
 */
export async function refreshDerivedIfStale(tx: Transaction): Promise<void> {
  const { context } = tx;
  if (!existsSync(context.path(FILES.config))) return;
  const stamp = readStamp(context);
  const changed = changedSince(stamp, fileStamps(context));
  if (changed !== 'state') {
    expectsBefore.set(tx, stamp!.expects === true);
    if (stamp!.expects === true) tx.touchBoot(); // the checks may find something new
  }
  if (!changed) {
    handoffBefore.set(tx, stamp!.handoff);
    return;
  }
  if (changed === 'events') {
    const handoff = handoffId(context);
    handoffBefore.set(tx, handoff);
    if (handoff === stamp?.handoff) return;
  }
  try {
    await refreshDerived(tx, { create: false });
  } catch (error) {
    // The command's own record must not fail on damage elsewhere; `doctor` names it.
    if (!(error instanceof AgentstateError)) throw error;
    context.warn(`derived files were not regenerated: ${error.message}`);
  }
}

/**
 * Regenerate every derived file whose content differs from what its sources give. `boot` creates
 * a missing one; the check before a write command only refreshes those that exist.
 */
export async function refreshDerived(tx: Transaction, { create }: { create: boolean }): Promise<void> {
  const { context } = tx;
  const path = context.path(FILES.decisionsIndex);
  const current = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  if (current !== undefined || create) {
    const expected = currentIndexText(context, await readDecisionViews(context));
    if (current !== expected) tx.replace(path, expected);
  }
  const boot = context.path('..', BOOT_FILE);
  if (create || (existsSync(boot) && readFileSync(boot, 'utf8').includes(BEGIN))) tx.touchBoot();
}

/**
 * After a write command: what our own writes left is fresh. A command that did not regenerate the
 * block added no handoff, so the latest handoff is the one it started with; only otherwise is it
 * looked up again (the `log` hot path reads nothing).
 */
export function recordDerivedStamp(tx: Transaction): void {
  const { context } = tx;
  if (!existsSync(localDir(context)) || !existsSync(context.path(FILES.config))) return;
  const handoff = !tx.bootAffected && handoffBefore.has(tx) ? handoffBefore.get(tx)! : handoffId(context);
  const expects = !tx.bootAffected && expectsBefore.has(tx) ? expectsBefore.get(tx)! : bootShowsExpectations(context);
  try {
    writeFileSync(localPath(context, STAMP_FILE), JSON.stringify({ files: fileStamps(context), handoff, ...(expects ? { expects } : {}) } satisfies Stamp));
  } catch {
    /* a hint only: without it the next command checks again */
  }
}
