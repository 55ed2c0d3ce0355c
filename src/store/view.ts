import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { boardOf } from '../core/board.js';
import type { Handoff } from '../core/briefing.js';
import { isOpen, isStanding } from '../core/decisions.js';
import { boardView, catchesByDay, timelineOf, type View } from '../core/view.js';
import { readHead } from '../git/repo.js';
import { readAllTasks } from './backlog-file.js';
import { readDecisionViews } from './decisions-file.js';
import { ARCHIVE_DIR, LOGS } from './layout.js';
import { archiveSegments, logPath, readCatches } from './logs.js';
import { readRuntime } from './runtime-file.js';
import { handoffOf, recentEvents } from './snapshot.js';
import { lastRecords } from './tail.js';
import type { StateContext } from './context.js';

/** Everything the web view shows, read from the state files with the CLI's own readers. */
export async function readView(context: StateContext, options: { write: boolean; now?: number }): Promise<View> {
  const now = options.now ?? Date.now();
  const views = await readDecisionViews(context);
  const catches = readCatches(context).rows.map((row) => row.value);
  const str = (value: unknown) => (typeof value === 'string' ? value : '');
  return {
    generatedAt: new Date(now).toISOString(),
    repo: { name: basename(context.repo?.root ?? context.root), ...(context.repo ? readHead(context.repo) : {}) },
    write: options.write,
    board: boardView(boardOf(await readAllTasks(context, { validate: false }), { doneSince: now - 7 * 86_400_000, limit: 50 })),
    decisions: { open: views.filter(isOpen), standing: views.filter(isStanding), timeline: timelineOf(views), total: views.length },
    events: recentEvents(context, 30, (event) => event.type !== 'handoff')
      .reverse()
      .map((event) => ({
        id: str(event.id),
        at: str(event.at),
        type: str(event.type),
        agent: str(event.agent),
        summary: str(event.summary),
        ...(typeof event.ref === 'string' ? { ref: event.ref } : {}),
      })),
    handoffs: recentHandoffs(context, 5),
    catches: { days: catchesByDay(catches, now), recent: catches.slice(-10).reverse(), total: catches.length },
    runtime: readRuntime(context),
    warnings: context.warnings,
  };
}

/** The latest handoffs, newest first: the active log, then the sealed segments, newest first. */
function recentHandoffs(context: StateContext, count: number): Handoff[] {
  const found: Handoff[] = [];
  for (const file of [logPath(context, 'events'), ...archiveSegments(context, LOGS.events.file).reverse()]) {
    if (found.length >= count) break;
    const records = lastRecords(file, count - found.length, (record) => record.type === 'handoff', '"type":"handoff"');
    found.push(...records.reverse().map(handoffOf));
  }
  return found;
}

/**
 * A fingerprint of the state files (name, size, modification time): it changes whenever a command
 * writes, so the web view knows when to refresh.
 */
export function stateFingerprint(context: StateContext): string {
  const parts: string[] = [];
  for (const dir of [context.stateDir, context.path(ARCHIVE_DIR)]) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      try {
        const stat = statSync(`${dir}/${name}`);
        if (stat.isFile() && !name.endsWith('.tmp')) parts.push(`${name}:${stat.size}:${stat.mtimeMs}`);
      } catch {
        /* removed while listed */
      }
    }
  }
  return parts.join('|');
}
