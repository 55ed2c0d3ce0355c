import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { withAttributes } from '../git/merge-setup.js';
import { mutate } from './mutate.js';
import type { StateContext } from './context.js';

/**
 * `hooks install` in a clone of a project set up by an older version: our .gitattributes lines are
 * brought up to date (e.g. `AGENTS.md` anchored to `/AGENTS.md`, so a nested AGENTS.md merges as a
 * plain file), in one commit. The user's own lines are kept as they are. Returns the file's display
 * path when it changed.
 */
export async function upgradeAttributes(context: StateContext): Promise<string | undefined> {
  if (!context.initialised) return undefined;
  const path = join(context.root, '.gitattributes');
  const before = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  const after = withAttributes(before);
  if (after === before) return undefined;
  await mutate(context, 'hooks install', (tx) => {
    tx.replace(path, after);
    tx.describe('bring the merge attributes in .gitattributes up to date');
  });
  return context.display(path);
}
