import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { readyTasks } from '../core/backlog.js';
import { isOpen, isStanding, type DecisionView } from '../core/decisions.js';
import type { Task } from '../core/schemas.js';
import { BOOT_LEARNINGS, focusMatcher, RESUME_LEARNINGS, type EventView, type Handoff, type Snapshot } from '../core/briefing.js';
import { rankLearnings, type LearningView } from '../core/learnings.js';
import { bestMatches } from '../core/search-focus.js';
import { readHead } from '../git/repo.js';
import { readBacklog } from './backlog-file.js';
import { readDecisionSummary } from './decisions-file.js';
import { readLearningViews } from './learnings-file.js';
import { archiveSegments, logPath } from './logs.js';
import { LOGS } from './layout.js';
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

/** What the AGENTS.md block shows, from records already in memory (the merge driver has no files). */
export function bootSnapshotOf(views: DecisionView[], tasks: Task[], handoff: Handoff | undefined, learnings: LearningView[] = []): Snapshot {
  const top = rankLearnings(learnings).slice(0, BOOT_LEARNINGS);
  return {
    generatedAt: new Date().toISOString(),
    repo: { name: '' },
    ...(handoff ? { handoff } : {}),
    openDecisions: views.filter(isOpen),
    standing: views.filter(isStanding),
    nextTasks: readyTasks(tasks).slice(0, 5),
    recentDecisions: [],
    recentEvents: [],
    warnings: [],
    ...(top.length ? { learnings: top } : {}),
  };
}

/** Everything the briefing shows, read from the state files (tails only for the logs). */
export async function buildSnapshot(context: StateContext, options: SnapshotOptions): Promise<Snapshot> {
  const decisions = await readDecisionSummary(context, context.config.decisions.recent);
  const tasks = await readBacklog(context, { validate: false });
  const head = context.repo ? readHead(context.repo) : {};
  const handoff = latestHandoff(context);
  const limit = (n: number) => (options.full ? Infinity : n);
  const resume = options.mode === 'resume';
  const match = options.focus ? focusMatcher(options.focus) : undefined;
  const closed = decisions.recent.filter((view) => !isOpen(view) && !isStanding(view) && (!match || match.decision(view)));
  const runtime = resume ? readRuntime(context) : undefined;
  if (runtime && match) runtime.fields = Object.fromEntries(Object.entries(runtime.fields).filter(([key, value]) => match.field(key, value)));
  const eventCount = options.full ? 1_000_000 : 10;
  const events = !resume ? [] : match ? bestMatches(recentEvents(context, FOCUS_EVENT_WINDOW).filter(match.event), options.focus!, eventCount) : recentEvents(context, eventCount);
  const learnings = rankLearnings(await readLearningViews(context), options.focus).slice(0, limit(resume ? RESUME_LEARNINGS : BOOT_LEARNINGS));
  return {
    generatedAt: new Date().toISOString(),
    repo: { name: basename(context.repo?.root ?? context.root), ...head },
    ...(handoff ? { handoff } : {}),
    openDecisions: decisions.open,
    standing: decisions.standing,
    ...(runtime ? { runtime } : {}),
    nextTasks: readyTasks(tasks)
      .filter((task) => !match || match.task(task))
      .slice(0, limit(resume ? 10 : 5)),
    recentDecisions: resume ? closed : [],
    recentEvents: events.map(toEventView),
    warnings: [],
    ...(learnings.length ? { learnings } : {}),
  };
}
