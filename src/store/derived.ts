import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { AgentstateError } from '../errors.js';
import { BEGIN } from './boot-file.js';
import { ARCHIVE_DIR, BOOT_FILE, FILES } from './layout.js';
import { localDir, localPath } from './local.js';
import { currentIndexText, readDecisionViews } from './decisions-file.js';
import type { StateContext } from './context.js';
import type { Transaction } from './transaction.js';

/**
 * The derived files (decisions-index.yaml and the AGENTS.md block) are kept fresh by every command
 * that changes their sources. Git changes sources without us (a merge where git took one side of a
 * derived file without running its driver, a rebase, a checkout), so each write command first asks
 * a cheap question: did anything change the sources or the derived files since our last write? The
 * answer is a stamp of sizes and modification times (a few stat calls, no read), recorded under
 * the git dir after each command; only when it differs are the derived files rebuilt and compared.
 */
const STAMP_FILE = 'derived-stamp';

/** Every file the derived files are made from, and the derived files themselves. */
function stampedPaths(context: StateContext): string[] {
  const archive = context.path(ARCHIVE_DIR);
  const segments = existsSync(archive) ? readdirSync(archive).filter((name) => /^(decisions|events)\./.test(name)).sort() : [];
  return [
    ...[FILES.config, FILES.decisions, FILES.decisionsIndex, FILES.events, FILES.backlog].map((name) => context.path(name)),
    context.path('..', BOOT_FILE),
    ...segments.map((name) => context.path(ARCHIVE_DIR, name)),
  ];
}

export function derivedStamp(context: StateContext): string {
  return stampedPaths(context)
    .map((path) => {
      try {
        const stats = statSync(path);
        return `${context.display(path)} ${stats.size} ${stats.mtimeMs}`;
      } catch {
        return `${context.display(path)} -`;
      }
    })
    .join('\n');
}

const recorded = (context: StateContext) => {
  try {
    return readFileSync(localPath(context, STAMP_FILE), 'utf8');
  } catch {
    return undefined;
  }
};

/**
 * Before a write command's own changes: when the stamp says someone else changed the state since
 * our last write, regenerate the decision index (if it differs) and have the AGENTS.md block
 * refreshed in the same commit.
 */
export async function refreshDerivedIfStale(tx: Transaction): Promise<void> {
  if (!existsSync(tx.context.path(FILES.config)) || recorded(tx.context) === derivedStamp(tx.context)) return;
  try {
    await refreshDerived(tx, { create: false });
  } catch (error) {
    // The command's own record must not fail on damage elsewhere; `doctor` names it.
    if (!(error instanceof AgentstateError)) throw error;
    tx.context.warn(`derived files were not regenerated: ${error.message}`);
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

/** After a write command: what our own writes left is fresh. */
export function recordDerivedStamp(context: StateContext): void {
  if (!existsSync(localDir(context))) return;
  try {
    writeFileSync(localPath(context, STAMP_FILE), derivedStamp(context));
  } catch {
    /* a hint only: without it the next command checks again */
  }
}
