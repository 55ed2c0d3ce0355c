import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_CONFIG_TEXT } from '../core/config.js';
import { fileHeader } from '../core/line-format.js';
import { SCHEMA_VERSION } from '../core/schemas.js';
import { CATCH_HEADER } from '../core/tsv.js';
import { withAttributes } from '../git/merge-setup.js';
import { backlogHeader } from './backlog-file.js';
import { decisionIndexText } from './decisions-file.js';
import { learningsHeader } from './learnings-file.js';
import { FILES, LOGS, STATE_GITIGNORE } from './layout.js';
import { emptyRuntime, runtimeText } from './runtime-file.js';
import type { Transaction } from './transaction.js';

/** The initial content of each state file. */
export function initialFiles(recent: number): Record<string, string> {
  const chain = fileHeader(LOGS.decisions.comment, SCHEMA_VERSION, LOGS.decisions.listKey);
  return {
    [FILES.config]: DEFAULT_CONFIG_TEXT,
    [FILES.events]: fileHeader(LOGS.events.comment, SCHEMA_VERSION, LOGS.events.listKey),
    [FILES.decisions]: chain,
    [FILES.decisionsIndex]: decisionIndexText([], recent, Buffer.byteLength(chain), chain),
    [FILES.backlog]: backlogHeader(),
    [FILES.runtime]: runtimeText(emptyRuntime()),
    [FILES.catches]: CATCH_HEADER,
    [FILES.learnings]: learningsHeader(),
    [FILES.gitignore]: STATE_GITIGNORE,
  };
}

/**
 * Create what is missing and touch nothing that exists (init is idempotent and repairs).
 * Returns the files it created.
 */
export function createMissing(tx: Transaction): string[] {
  const { context } = tx;
  mkdirSync(context.stateDir, { recursive: true });
  const created: string[] = [];
  for (const [name, content] of Object.entries(initialFiles(context.config.decisions.recent))) {
    const path = context.path(name);
    if (existsSync(path)) continue;
    tx.replace(path, content);
    created.push(context.display(path));
  }
  const attributes = join(context.root, '.gitattributes');
  const before = existsSync(attributes) ? readFileSync(attributes, 'utf8') : undefined;
  const after = withAttributes(before);
  if (after !== before) {
    tx.replace(attributes, after);
    created.push(context.display(attributes));
  }
  tx.touchBoot();
  return created;
}
