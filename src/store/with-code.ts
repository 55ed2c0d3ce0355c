import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { withAttributes } from '../git/merge-setup.js';
import { ObjectStore } from '../git/objects.js';
import { readHead } from '../git/repo.js';
import { stageBlobs } from '../git/stage.js';
import { headFile } from '../git/tree-edit.js';
import { findBlock, spliceBlock } from './boot-file.js';
import { clearPending, pendingFile } from './commit-step.js';
import { BOOT_FILE } from './layout.js';
import { readPending, writePending } from './transaction.js';
import type { StateContext } from './context.js';
import type { FileSet } from './state-files.js';

/**
 * Commit mode `with-code`: agentstate writes and fsyncs the state files but records no commit of
 * its own; the pre-commit hook adds the pending state paths to the user's next commit, so code and
 * state land together. Only our own bytes are added: AGENTS.md as the index has it with our block,
 * .gitattributes as the index has it plus our lines.
 */

/** Pending paths whose work-tree content HEAD already holds are no longer pending. */
export function prunePending(context: StateContext): string[] {
  const file = pendingFile(context);
  const pending = readPending(file);
  const repo = context.repo;
  if (!repo || pending.length === 0) return pending;
  const store = new ObjectStore(repo);
  const head = readHead(repo).sha;
  const still = pending.filter((path) => {
    const absolute = join(repo.root, path);
    if (!existsSync(absolute)) return false;
    return headFile(store, head, path)?.sha !== store.hash('blob', readFileSync(absolute));
  });
  if (still.length === 0 && pending.length > 0) clearPending(context);
  else if (still.length !== pending.length) writePending(file, still);
  return still;
}

/** State files waiting for a commit: in with-code those HEAD does not hold yet; otherwise those whose commit was deferred. */
export function pendingChanges(context: StateContext): string[] {
  return context.commitMode === 'with-code' ? prunePending(context) : readPending(pendingFile(context));
}

/** What the pending paths would add to the commit being made, on top of the index's files. */
export function pendingForCommit(context: StateContext, index: FileSet): FileSet {
  const repo = context.repo;
  const out: FileSet = new Map();
  if (!repo) return out;
  for (const path of prunePending(context)) {
    const absolute = join(repo.root, path);
    if (!existsSync(absolute)) continue;
    const working = readFileSync(absolute);
    if (path === context.display(join(context.root, BOOT_FILE))) {
      const block = findBlock(working.toString('utf8'))?.block;
      if (block) out.set(path, Buffer.from(spliceBlock(index.get(path)?.toString('utf8'), block)));
    } else if (path === context.display(join(context.root, '.gitattributes'))) {
      out.set(path, Buffer.from(withAttributes(index.get(path)?.toString('utf8'))));
    } else {
      out.set(path, working);
    }
  }
  return out;
}

/** Put them into the index of the commit being made (a hook's GIT_INDEX_FILE, or the real one). */
export function stagePending(context: StateContext, files: FileSet): void {
  if (!context.repo || files.size === 0) return;
  stageBlobs(context.repo, files, process.env.GIT_INDEX_FILE);
}
