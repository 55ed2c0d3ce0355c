import { byPriority } from './backlog.js';
import { blockersOf } from './task-board.js';
import type { Task } from './schemas.js';
import { inFuture } from './merge-runtime.js';

/**
 * The backlog as a board: ready, in progress (owner and lease), blocked (and by what), done
 * recently. One model for the terminal board, the web view and its JSON API, built on the
 * briefing's own reading of what blocks a task (task-board.ts). Pure.
 */
export const COLUMNS = ['ready', 'active', 'blocked', 'done'] as const;
export type Column = (typeof COLUMNS)[number];
export const COLUMN_TITLES: Record<Column, string> = { ready: 'READY', active: 'IN PROGRESS', blocked: 'BLOCKED', done: 'DONE' };
/** The status a task gets when it is moved into a column. */
export const COLUMN_STATUS: Record<Column, Task['status']> = { ready: 'open', active: 'active', blocked: 'blocked', done: 'done' };

export interface Card {
  id: string;
  title: string;
  priority: string;
  status: string;
  version: number;
  updated: string;
  epic?: string;
  owner?: string;
  /** When the owner's claim runs out (a lease), if the task has one. */
  lease_until?: string;
  /** Dependencies that are not done, with their status. */
  waits_on: Array<{ id: string; status: string; title: string }>;
  notes?: string;
}

export type Board = Record<Column, Card[]> & { hidden: Record<Column, number> };

export interface BoardOptions {
  /** Epoch ms: done tasks updated before this are not shown. */
  doneSince: number;
  /** At most this many cards per column (the rest are counted in `hidden`). */
  limit: number;
}

export function boardOf(tasks: Task[], options: BoardOptions): Board {
  const byId = new Map(tasks.map((task) => [task.id, task]));
  const card = (task: Task): Card => {
    // The same blockers as the briefing's (task-board.ts): a dependency on a task that does not exist blocks too.
    const waits = blockersOf(task, byId).map((blocker) => ({ id: blocker.id, status: blocker.status, title: blocker.title ?? '' }));
    const lease = (task as { lease_until?: unknown }).lease_until;
    return {
      id: task.id,
      title: task.title,
      priority: task.priority,
      status: task.status,
      version: task.version,
      updated: task.updated,
      ...(task.epic ? { epic: task.epic } : {}),
      ...(task.owner ? { owner: task.owner } : {}),
      ...(typeof lease === 'string' ? { lease_until: lease } : {}),
      waits_on: waits,
      ...(task.notes ? { notes: task.notes } : {}),
    };
  };
  const columns: Record<Column, Card[]> = { ready: [], active: [], blocked: [], done: [] };
  for (const task of [...tasks].sort(byPriority)) {
    const item = card(task);
    if (task.status === 'open') columns[item.waits_on.length ? 'blocked' : 'ready'].push(item);
    else if (task.status === 'active') columns.active.push(item);
    else if (task.status === 'blocked') columns.blocked.push(item);
    else if (task.status === 'done' && Date.parse(task.updated) >= options.doneSince) columns.done.push(item);
  }
  columns.done.sort((a, b) => Date.parse(b.updated) - Date.parse(a.updated));
  const hidden = Object.fromEntries(COLUMNS.map((column) => [column, Math.max(0, columns[column].length - options.limit)])) as Record<Column, number>;
  return { ...(Object.fromEntries(COLUMNS.map((column) => [column, columns[column].slice(0, options.limit)])) as Record<Column, Card[]>), hidden };
}

/** "12m left", "expired 3m ago": how a lease stands at `now`. */
export function leaseText(until: string, now: number): string {
  const ms = Date.parse(until) - now;
  if (Number.isNaN(ms)) return `lease ${until}`;
  return ms >= 0 ? `lease ${span(ms)} left` : `lease expired ${span(-ms)} ago`;
}

export function span(ms: number): string {
  const minutes = Math.round(ms / 60000);
  if (minutes < 1) return `${Math.round(ms / 1000)}s`;
  if (minutes < 120) return `${minutes}m`;
  if (minutes < 48 * 60) return `${Math.round(minutes / 60)}h`;
  return `${Math.round(minutes / 1440)}d`;
}

/** The line under a card's title: who holds it and for how long, what it waits on, when it was done. */
export function cardDetail(card: Card, column: Column, now: number): string {
  if (column === 'active') return [card.owner ? `@${card.owner}` : 'no owner', card.lease_until ? leaseText(card.lease_until, now) : ''].filter(Boolean).join(' · ');
  if (column === 'blocked') {
    if (card.waits_on.length) return `waits on ${card.waits_on.map((dep) => `${dep.id} (${dep.status})`).join(', ')}`;
    return card.notes ? `blocked: ${card.notes.replace(/\s+/g, ' ')}` : 'blocked';
  }
  if (column === 'done') {
    const when = inFuture(card.updated, now) ? `in the future (${card.updated.slice(0, 10)})` : `${span(Math.max(0, now - Date.parse(card.updated)))} ago`;
    return `done ${when}${card.owner ? ` · @${card.owner}` : ''}`;
  }
  return card.epic ? `epic ${card.epic}` : '';
}
