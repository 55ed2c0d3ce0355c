import { byPriority, isReady } from './backlog.js';
import type { Task } from './schemas.js';
import { inFuture } from './merge-runtime.js';

/**
 * The backlog as a new session needs it: what is in progress (and whether its owner is still
 * around), what is blocked and by what, what is ready. Pure: the store gives the tasks and the
 * latest activity it knows of each agent.
 */
export interface InProgressTask {
  id: string;
  title: string;
  priority: string;
  owner: string;
  /** When the task was claimed (or last changed, for a task claimed before claims were dated). */
  since: string;
  /** The owner's latest activity this state knows of: a record, a claim, a heartbeat. */
  lastActivity?: string;
  /** The owner has been silent for longer than runtime.heartbeat_stale_minutes. */
  stale: boolean;
}

export interface Blocker {
  id: string;
  /** The blocking task's status, or "unknown" for a dependency on a task that does not exist. */
  status: string;
  title?: string;
}

export interface BlockedTask {
  id: string;
  title: string;
  priority: string;
  /** Marked blocked by hand (status blocked), or waiting on unfinished dependencies, or both. */
  marked: boolean;
  blockedBy: Blocker[];
  note?: string;
}

export interface TaskBoard {
  inProgress: InProgressTask[];
  blocked: BlockedTask[];
  ready: Task[];
}

export interface BoardOptions {
  /** Latest activity by agent name (ISO times); absent in the boot block, which must not depend on the clock. */
  activity?: Map<string, string>;
  now?: number;
  staleMinutes?: number;
  /** How many of each list to keep (Infinity: all). */
  limit?: number;
}

const latest = (...times: Array<string | undefined>) =>
  times.filter((time): time is string => typeof time === 'string' && Number.isFinite(Date.parse(time))).sort((a, b) => Date.parse(a) - Date.parse(b)).pop();

/** A claim's start: `claimed_at` when the claim recorded it, else the task's last change. */
export const claimedAt = (task: Task): string => (typeof task.claimed_at === 'string' ? task.claimed_at : task.updated);

export function inProgressOf(task: Task, options: BoardOptions = {}): InProgressTask {
  const owner = task.owner ?? '';
  const since = claimedAt(task);
  const view: InProgressTask = { id: task.id, title: task.title, priority: task.priority, owner, since, stale: false };
  if (!options.activity) return view;
  const now = options.now ?? Date.now();
  // A time in the future proves no activity: a wrong clock would keep a dead owner's claim fresh forever.
  const lastActivity = latest(...[since, task.updated, options.activity.get(owner)].filter((at) => !at || !inFuture(at, now)));
  const limitMs = (options.staleMinutes ?? 60) * 60_000;
  const stale = lastActivity === undefined || now - Date.parse(lastActivity) > limitMs;
  return { ...view, ...(lastActivity ? { lastActivity } : {}), stale };
}

/** Unfinished dependencies of a task: each one not done (a dropped one never will be). */
export function blockersOf(task: Task, byId: Map<string, Task>): Blocker[] {
  return (task.depends_on ?? [])
    .map((id) => byId.get(id))
    .map((dep, index): Blocker | undefined => {
      const id = task.depends_on![index]!;
      if (!dep) return { id, status: 'unknown' };
      return dep.status === 'done' ? undefined : { id, status: dep.status, title: dep.title };
    })
    .filter((blocker): blocker is Blocker => blocker !== undefined);
}

export function taskBoard(tasks: Task[], options: BoardOptions = {}): TaskBoard {
  const limit = options.limit ?? Infinity;
  const byId = new Map(tasks.map((task) => [task.id, task]));
  const inProgress = tasks
    .filter((task) => task.status === 'active')
    .sort(byPriority)
    .slice(0, limit)
    .map((task) => inProgressOf(task, options));
  const blocked: BlockedTask[] = [];
  // Sorted once for both lists: the ready ones are the open ones among them whose dependencies are
  // all done, in the same order as readyTasks gives (a stable sort keeps a subset's order), at half
  // the cost (the AGENTS.md block builds the whole board on each write: ~750 open tasks in the bench).
  const candidates = tasks.filter((candidate) => candidate.status === 'blocked' || candidate.status === 'open').sort(byPriority);
  for (const task of candidates) {
    if (blocked.length >= limit) break;
    const blockedBy = blockersOf(task, byId);
    if (task.status === 'open' && blockedBy.length === 0) continue;
    blocked.push({
      id: task.id,
      title: task.title,
      priority: task.priority,
      marked: task.status === 'blocked',
      blockedBy,
      ...(task.status === 'blocked' && task.notes ? { note: task.notes } : {}),
    });
  }
  const ready = candidates.filter((task) => isReady(task, (id) => byId.get(id)?.status));
  return { inProgress, blocked, ready: ready.slice(0, limit) };
}
