import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { withImport, withSessionHook } from '../core/claude-settings.js';
import { unreadableError } from '../errors.js';
import type { Transaction } from './transaction.js';

/** Make Claude Code boot from the state: CLAUDE.md imports AGENTS.md, a SessionStart hook runs resume. */
export function setupClaude(tx: Transaction): string[] {
  const { root } = tx.context;
  const changed: string[] = [];
  const claudeMd = join(root, 'CLAUDE.md');
  const before = existsSync(claudeMd) ? readFileSync(claudeMd, 'utf8') : undefined;
  const after = withImport(before);
  if (after !== before) {
    tx.replace(claudeMd, after);
    changed.push('CLAUDE.md');
  }
  const settingsPath = join(root, '.claude', 'settings.json');
  const text = existsSync(settingsPath) ? readFileSync(settingsPath, 'utf8') : undefined;
  let settings: Record<string, unknown> = {};
  if (text !== undefined && text.trim() !== '') {
    try {
      settings = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw unreadableError('.claude/settings.json', undefined, 'not valid JSON; fix it by hand, then run `agentstate setup claude` again');
    }
  }
  let next: Record<string, unknown>;
  try {
    next = withSessionHook(settings);
  } catch (error) {
    throw unreadableError('.claude/settings.json', undefined, (error as Error).message);
  }
  if (next !== settings || text === undefined) {
    mkdirSync(join(root, '.claude'), { recursive: true });
    tx.replace(settingsPath, JSON.stringify(next, null, 2) + '\n');
    changed.push('.claude/settings.json');
  }
  return changed;
}
