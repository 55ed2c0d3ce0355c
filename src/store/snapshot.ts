import { appendFileSync, closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import { isOpen, isStanding, type DecisionView } from '../core/decisions.js';
import type { Task } from '../core/schemas.js';
import { focusMatcher, BOOT_TASKS, type EventView, type Handoff, type RuntimeView, type Snapshot } from '../core/briefing.js';
import { taskBoard } from '../core/task-board.js';
import { unreadableError } from '../errors.js';
import { bestMatches } from '../core/search-focus.js';
import { readHead } from '../git/repo.js';
import { readBacklog } from './backlog-file.js';
import { readDecisionSummary, type DecisionSummary } from './decisions-file.js';
import { GuardedReader } from './guarded-read.js';
import { archiveSegments, logPath } from './logs.js';
import { FILES, LOGS } from './layout.js';
import { LOCAL_FILES, localDir, localPath } from './local.js';
import { readRuntime } from './runtime-file.js';
import { lastRecords } from './tail.js';
import type { StateContext } from './context.js';

type Rec = Record<string, unknown>;
const strings = (value: unknown) => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);

/** The last `count` events that `accept` takes, newest files first, reading only their tails. */
export function recentEvents(context: StateContext, count: number, accept: (record: Rec) => boolean = () => true): Rec[] {
  const files = [logPath(context, 'events'), ...archiveSegments(context, LOGS.events.file).reverse()];
  let found: Rec[] = [];
  for (const file of files) {
    if (found.length >= count) break;
    found = [...lastRecords(file, count - found.length, accept), ...found];
  }
  return found;
}

const HANDOFF = '"type":"handoff"';
const isHandoff = (event: Rec) => event.type === 'handoff';

/**
 * The latest handoff: the active log first, then the sealed segments, newest first. A segment
 * never changes, so which of them hold no handoff is remembered (locally, git-ignored) and they are
 * not read again: without that, a project with no handoff would read every segment on every resume.
 */
export function latestHandoff(context: StateContext): Handoff | undefined {
  const [active] = lastRecords(logPath(context, 'events'), 1, isHandoff, HANDOFF);
  if (active) return handoffOf(active);
  const memoPath = localPath(context, LOCAL_FILES.segmentsWithoutHandoff);
  const without = new Set(existsSync(memoPath) ? readFileSync(memoPath, 'utf8').split('\n') : []);
  const learned: string[] = [];
  let found: Rec | undefined;
  for (const segment of archiveSegments(context, LOGS.events.file).reverse()) {
    const name = basename(segment);
    if (without.has(name)) continue;
    [found] = lastRecords(segment, 1, isHandoff, HANDOFF);
    if (found) break;
    learned.push(name);
  }
  if (learned.length && existsSync(localDir(context))) {
    try {
      appendFileSync(memoPath, learned.map((name) => `${name}\n`).join(''));
    } catch {
      /* a memo only */
    }
  }
  return found ? handoffOf(found) : undefined;
}

export function handoffOf(record: Rec): Handoff {
  const data = (record.data ?? {}) as Rec;
  return {
    id: String(record.id),
    at: String(record.at),
    agent: String(record.agent),
    done: strings(data.done),
    remaining: strings(data.remaining),
    uncertain: strings(data.uncertain),
    ...(typeof record.summary === 'string' && record.summary !== 'handoff' ? { note: record.summary } : {}),
  };
}

const toEventView = (record: Rec): EventView => ({
  id: String(record.id),
  at: String(record.at),
  type: String(record.type),
  agent: String(record.agent),
  ...(typeof record.summary === 'string' ? { summary: record.summary } : {}),
  ...(typeof record.ref === 'string' ? { ref: record.ref } : {}),
});

export interface SnapshotOptions {
  mode: 'boot' | 'resume';
  full?: boolean;
  /** Keep only the items matching this text (the state filter). */
  focus?: string;
}

/** How far back `--focus` looks for matching events. */
const FOCUS_EVENT_WINDOW = 10_000;
/** How many recent events are searched for the latest activity of the owners of claimed tasks. */
const ACTIVITY_WINDOW = 500;

/** What the AGENTS.md block shows, from records already in memory (the merge driver has no files). */
export function bootSnapshotOf(views: DecisionView[], tasks: Task[], handoff: Handoff | undefined): Snapshot {
  const board = taskBoard(tasks, { limit: BOOT_TASKS });
  return {
    generatedAt: new Date().toISOString(),
    repo: { name: '' },
    ...(handoff ? { handoff } : {}),
    openDecisions: views.filter(isOpen),
    standing: views.filter(isStanding),
    inProgress: board.inProgress,
    blocked: board.blocked,
    nextTasks: board.ready,
    recentDecisions: [],
    recentEvents: [],
    warnings: [],
  };
}

/** The AGENTS.md block's content, read from the state files; any damage is thrown (a block is never written from part of the state). */
export async function buildSnapshot(context: StateContext, options: SnapshotOptions = { mode: 'boot' }): Promise<Snapshot> {
  return (await readBriefing(context, new GuardedReader(context, Infinity, options.mode === 'boot'), options)).snapshot;
}

export interface Briefing {
  snapshot: Snapshot;
  /** Every task read (the checks look at the references open tasks hold). */
  tasks: Task[];
}

const NO_DECISIONS: DecisionSummary = { open: [], standing: [], recent: [] };

/**
 * Everything the briefing shows, each part read on its own through `reader` (tails only for the
 * logs). A part that cannot be read is left empty and named in `snapshot.incomplete`.
 */
export async function readBriefing(context: StateContext, reader: GuardedReader, options: SnapshotOptions): Promise<Briefing> {
  const resume = options.mode === 'resume';
  const events = logPath(context, 'events');
  const essential = { essential: true };
  const head = resume ? await reader.part('the git HEAD', [], {}, () => headOf(context), essential) : {};
  const decisions = await reader.part(
    'decisions',
    [context.path(FILES.decisionsIndex), logPath(context, 'decisions')],
    NO_DECISIONS,
    () => readDecisionSummary(context, context.config.decisions.recent),
    essential,
  );
  const tasks = await reader.part('tasks', [context.path(FILES.backlog)], [] as Task[], () => readBacklog(context, { validate: false }), essential);
  const handoff = await reader.part('the latest handoff', [events], undefined, () => latestHandoff(context), essential);
  const runtime = resume ? await reader.part('runtime state', [context.path(FILES.runtime)], undefined, (): RuntimeView => readRuntime(context), essential) : undefined;
  const match = options.focus ? focusMatcher(options.focus) : undefined;
  const eventCount = options.full ? 1_000_000 : 10;
  const recent = !resume
    ? []
    : await reader.part('recent events', [events], [] as Rec[], () => {
        requireList(context, events, LOGS.events.listKey);
        return match ? bestMatches(recentEvents(context, FOCUS_EVENT_WINDOW).filter(match.event), options.focus!, eventCount) : recentEvents(context, eventCount);
      });
  const active = tasks.some((task) => task.status === 'active');
  const activity = resume && active ? await reader.part('task owners\' activity', [events], new Map<string, string>(), () => agentActivity(context, decisions, runtime)) : undefined;
  const board = taskBoard(match ? tasks.filter((task) => match.task(task)) : tasks, {
    limit: options.full ? Infinity : resume ? 10 : BOOT_TASKS,
    ...(activity ? { activity, staleMinutes: context.config.runtime.heartbeat_stale_minutes } : {}),
  });
  if (runtime && match) runtime.fields = Object.fromEntries(Object.entries(runtime.fields).filter(([key, value]) => match.field(key, value)));
  const snapshot: Snapshot = {
    generatedAt: new Date().toISOString(),
    repo: { name: basename(context.repo?.root ?? context.root), ...head },
    ...(handoff ? { handoff } : {}),
    openDecisions: decisions.open,
    standing: decisions.standing,
    ...(runtime ? { runtime } : {}),
    inProgress: board.inProgress,
    blocked: board.blocked,
    nextTasks: board.ready,
    recentDecisions: resume ? decisions.recent.filter((view) => !isOpen(view) && !isStanding(view) && (!match || match.decision(view))) : [],
    recentEvents: recent.map(toEventView),
    warnings: [],
  };
  return { snapshot, tasks };
}

/**
 * The tail reader skips what does not parse, so a log overwritten with garbage would read as an
 * empty log: its head must at least hold the list key (`events:`), as every form of it does.
 */
function requireList(context: StateContext, path: string, key: string): void {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return;
  }
  try {
    const head = Buffer.alloc(4096);
    const bytes = readSync(fd, head, 0, head.length, 0);
    if (bytes > 0 && !new RegExp(`^${key}:`, 'm').test(head.subarray(0, bytes).toString('utf8'))) {
      throw unreadableError(context.display(path), 1, `no \`${key}:\` list at the top of the file`);
    }
  } finally {
    closeSync(fd);
  }
}

/** Branch and HEAD from the files under .git; a HEAD that is not a ref or a commit id is damage. */
function headOf(context: StateContext): { branch?: string; head?: string } {
  if (!context.repo) return {};
  const head = readHead(context.repo);
  if (head.sha !== undefined && !/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(head.sha)) {
    throw new Error(`${context.display(context.repo.gitDir)}/HEAD is neither a branch nor a commit id; git cannot work in this repository until it is fixed`);
  }
  return { ...(head.branch ? { branch: head.branch } : {}), ...(head.sha ? { head: head.sha } : {}) };
}

/** The latest time each agent did something this state records: events, decisions, the runtime state. */
function agentActivity(context: StateContext, decisions: DecisionSummary, runtime: RuntimeView | undefined): Map<string, string> {
  const activity = new Map<string, string>();
  const saw = (agent: unknown, at: unknown) => {
    if (typeof agent !== 'string' || typeof at !== 'string' || !Number.isFinite(Date.parse(at))) return;
    const known = activity.get(agent);
    if (!known || Date.parse(at) > Date.parse(known)) activity.set(agent, at);
  };
  for (const event of recentEvents(context, ACTIVITY_WINDOW)) saw(event.agent, event.at);
  for (const view of [...decisions.open, ...decisions.standing, ...decisions.recent]) {
    saw(view.agent, view.at);
    if (view.closed) saw(view.closed.agent, view.closed.at);
  }
  if (runtime?.updated_by) {
    saw(runtime.updated_by, runtime.updated_at);
    saw(runtime.updated_by, runtime.heartbeat_at);
  }
  return activity;
}
