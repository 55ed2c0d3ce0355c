import type { CommandOutput, CommandRun } from '../command.js';
import { byPriority, findCycle } from '../core/backlog.js';
import { claimableTasks } from '../core/lease.js';
import { claimTask, holds, releaseTask } from '../core/claims.js';
import { onceTask } from '../core/once.js';
import { newId, resolveIdPrefix } from '../core/ids.js';
import { PRIORITIES, TASK_STATUSES, taskSchema, type Task } from '../core/schemas.js';
import { blockersOf } from '../core/task-board.js';
import { cellText, jsonText, visible } from '../core/text.js';
import { conflictError, notFoundError, usageError } from '../errors.js';
import { backlogSegments, readAllTasks, readBacklog, writeBacklog } from '../store/backlog-file.js';
import { lossesToSay } from '../store/lease.js';
import { openContext, type StateContext } from '../store/context.js';
import { mutate } from '../store/mutate.js';
import type { Transaction } from '../store/transaction.js';
import { table, type Style } from '../output.js';
import { nowIso, parseCount, validated } from './shared.js';

/** `agentstate backlog …`: tasks with priorities, dependencies, atomic claims and versions. */
export interface TaskOptions {
  title?: string;
  status?: string;
  priority?: string;
  epic?: string;
  tag?: string[];
  untag?: string[];
  depends?: string[];
  dropDepends?: string[];
  note?: string;
  force?: boolean;
  expectVersion?: string;
  once?: string;
  claim?: boolean;
  all?: boolean;
}

/** One row per task; BLOCKED-BY names the dependencies not done yet (all tasks are needed to tell). */
const taskRows = (tasks: Task[], style: Style, all: Task[] = tasks) => {
  const byId = new Map(all.map((task) => [task.id, task]));
  return table(
    [
      ['PRI', 'STATUS', 'ID', 'TITLE', 'OWNER', 'BLOCKED-BY', 'VER'],
      ...tasks.map((task) => [
        task.priority === 'P0' ? style.red(task.priority) : cellText(task.priority),
        cellText(task.status),
        task.id,
        cellText(task.title),
        cellText(task.owner ?? '-'),
        blockersOf(task, byId).map((blocker) => blocker.id).join(',') || '-',
        String(task.version),
      ]),
    ],
    style,
  );
};

function taskOutput(context: StateContext, task: Task | undefined, extra: Record<string, unknown> = {}, human?: (style: Style) => string): CommandOutput {
  return {
    data: { task: task ?? null, ...extra, warnings: context.warnings },
    quiet: task?.id ?? '',
    warnings: context.warnings,
    human: human ?? ((style) => (task ? taskRows([task], style) : 'no task')),
  };
}

function resolveTask(tasks: Task[], idText: string): Task {
  const id = resolveIdPrefix('task', idText, tasks.map((task) => task.id));
  return tasks.find((task) => task.id === id)!;
}

/**
 * The task an id names: a whole id of the active file at once; a prefix, or a sealed task, among
 * every task (sealed ones included, so a prefix is judged unique against all of them).
 */
async function findTask(context: StateContext, tasks: Task[], idText: string): Promise<Task> {
  const active = tasks.find((task) => task.id === idText);
  if (active) return active;
  const found = resolveTask(await readAllTasks(context, { validate: false }), idText);
  return tasks.find((task) => task.id === found.id) ?? found;
}

async function resolveDependencies(context: StateContext, tasks: Task[], texts: string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const text of texts) {
    try {
      ids.push((await findTask(context, tasks, text)).id);
    } catch (error) {
      throw usageError(`--depends ${text}: ${(error as Error).message}`, 'a dependency must name an existing task (`agentstate backlog list --all`)');
    }
  }
  return ids;
}

function checkPriority(priority: string | undefined): void {
  if (priority !== undefined && !(PRIORITIES as readonly string[]).includes(priority)) {
    throw usageError(`--priority: "${priority}" is not one of ${PRIORITIES.join(', ')}`);
  }
}

function checkStatus(status: string | undefined): void {
  if (status !== undefined && !(TASK_STATUSES as readonly string[]).includes(status)) {
    throw usageError(`--status: "${status}" is not one of ${TASK_STATUSES.join(', ')}`);
  }
}

/** Replace one task in the list and write the file, the AGENTS.md block following. */
function save(tx: Transaction, tasks: Task[], changed: Task, summary: string): void {
  writeBacklog(tx, tasks.map((task) => (task.id === changed.id ? changed : task)), [changed]);
  tx.touchBoot();
  tx.describe(summary, changed.id);
}

/** The task claimed as a lease (backlog.lease_minutes); taking over an expired lease says whose it was. */
function claimed(context: StateContext, task: Task): { task: Task; notes: string[] } {
  const claim = claimTask(task, context.agent(), nowIso(), context.config.backlog.lease_minutes);
  const notes = claim.tookOverFrom ? [`took over ${task.id} from ${claim.tookOverFrom.agent}, whose lease expired at ${claim.tookOverFrom.lease_until}`] : [];
  return { task: validated(context, taskSchema, claim.task), notes };
}

export const add: CommandRun<TaskOptions> = async ({ args, options, globals }) => {
  checkPriority(options.priority);
  const context = await openContext(globals);
  const { result, commit } = await mutate(context, 'backlog add', async (tx) => {
    const tasks = await readBacklog(context);
    const existing = options.once ? (onceTask(tasks, options.once) ?? onceTask(await readAllTasks(context, { validate: false }), options.once)) : undefined;
    if (existing) return existing;
    const now = nowIso();
    const task = validated(context, taskSchema, {
      id: newId('task'),
      title: args[0],
      status: 'open',
      priority: options.priority ?? 'P2',
      ...(options.epic ? { epic: options.epic } : {}),
      ...(options.tag?.length ? { tags: options.tag } : {}),
      ...(options.depends?.length ? { depends_on: await resolveDependencies(context, tasks, options.depends) } : {}),
      version: 1,
      created: now,
      updated: now,
      ...(options.note ? { notes: options.note } : {}),
      ...(options.once ? { once: options.once } : {}),
    });
    writeBacklog(tx, [...tasks, task], [task]);
    tx.touchBoot();
    tx.describe(task.title, task.id);
    return task;
  });
  return { ...taskOutput(context, result, { commit }), human: () => result.id };
};

export const list: CommandRun<TaskOptions> = async ({ options, globals }) => {
  checkStatus(options.status);
  const context = await openContext(globals);
  const all = await readAllTasks(context);
  const tasks = all.filter(
    (task) =>
      (options.status ? task.status === options.status : options.all || (task.status !== 'done' && task.status !== 'dropped')) &&
      (!options.epic || task.epic === options.epic) &&
      (!options.tag?.length || options.tag.every((tag) => task.tags?.includes(tag))),
  ).sort(byPriority);
  return {
    data: { tasks, count: tasks.length, warnings: context.warnings },
    quiet: tasks.map((task) => task.id).join('\n'),
    warnings: context.warnings,
    human: (style) => (tasks.length ? taskRows(tasks, style, all) : 'no tasks match'),
  };
};

export const show: CommandRun<TaskOptions> = async ({ args, globals }) => {
  const context = await openContext(globals);
  const task = resolveTask(await readAllTasks(context), args[0] ?? '');
  const lost = lossesToSay(context, [task]).map((loss) => loss.message); // this agent lost the task: say so
  const output = taskOutput(context, task, { lost }, () =>
    Object.entries(task)
      .map(([key, value]) => `${visible(key)}: ${typeof value === 'string' ? visible(value) : jsonText(value)}`)
      .join('\n'),
  );
  return { ...output, warnings: [...lost, ...context.warnings] };
};

export const update: CommandRun<TaskOptions> = async ({ args, options, globals }) => {
  checkPriority(options.priority);
  checkStatus(options.status);
  const expected = parseCount(options.expectVersion, '--expect-version');
  const context = await openContext(globals);
  const { result, commit } = await mutate(context, 'backlog update', async (tx) => {
    const tasks = await readBacklog(context);
    const task = await findTask(context, tasks, args[0] ?? '');
    if (expected !== undefined && task.version !== expected) {
      throw conflictError(`${task.id} is at version ${task.version}, not ${expected}`, 'nothing was written; re-read it with `agentstate backlog show` and retry');
    }
    const added = options.depends?.length ? await resolveDependencies(context, tasks, options.depends) : [];
    const removed = new Set(options.dropDepends?.length ? dependenciesToRemove(task, options.dropDepends) : []);
    const depends = [...new Set([...(task.depends_on ?? []), ...added])].filter((id) => !removed.has(id));
    for (const tag of options.untag ?? []) {
      if (!task.tags?.includes(tag)) throw usageError(`--untag ${tag}: ${task.id} has no such tag`, `nothing was written; its tags: ${task.tags?.join(', ') || 'none'}`);
    }
    const tags = [...new Set([...(task.tags ?? []), ...(options.tag ?? [])])].filter((tag) => !options.untag?.includes(tag));
    if (added.length) {
      // A cycle may run through sealed tasks (their dependencies are not in the active file).
      const graph = backlogSegments(context).length ? await readAllTasks(context, { validate: false }) : tasks;
      const cycle = findCycle(graph, task.id, depends);
      if (cycle) throw usageError(`dependency cycle: ${cycle.join(' -> ')}`, 'nothing was written; a task cannot depend on itself, directly or through others');
    }
    const withoutDepends: Task = { ...task };
    delete withoutDepends.depends_on;
    const changed = validated(context, taskSchema, {
      ...(depends.length ? task : withoutDepends),
      ...(options.title !== undefined ? { title: options.title } : {}),
      ...(options.status !== undefined ? { status: options.status } : {}),
      ...(options.priority !== undefined ? { priority: options.priority } : {}),
      ...(options.epic !== undefined ? { epic: options.epic } : {}),
      tags,
      depends_on: depends,
      ...(options.note !== undefined ? { notes: options.note } : {}),
      version: task.version + 1,
      updated: nowIso(),
    });
    if (changed.tags?.length === 0) delete changed.tags;
    if (changed.depends_on?.length === 0) delete changed.depends_on;
    save(tx, tasks, changed, `${changed.id} ${changed.status}: ${changed.title}`);
    return changed;
  });
  return taskOutput(context, result, { commit });
};

export const claim: CommandRun<TaskOptions> = async ({ args, globals }) => {
  const context = await openContext(globals);
  const { result, commit } = await mutate(context, 'backlog claim', async (tx) => {
    const tasks = await readBacklog(context);
    const task = await findTask(context, tasks, args[0] ?? '');
    if (holds(task, context.agent())) return { task, notes: [] };
    const changed = claimed(context, task);
    save(tx, tasks, changed.task, `${changed.task.id} claimed by ${changed.task.owner}: ${changed.task.title}`);
    return changed;
  });
  return { ...taskOutput(context, result.task, { commit }), notes: result.notes };
};

/** The best ready task; with --claim, picked and claimed under one lock so two agents never get the same one. */
export const next: CommandRun<TaskOptions> = async ({ options, globals }) => {
  const context = await openContext(globals);
  if (!options.claim) {
    const [task] = claimableTasks(await readBacklog(context), Date.now(), context.config.backlog.lease_minutes);
    return taskOutput(context, task, {}, (style) => (task ? taskRows([task], style) : 'no task is ready'));
  }
  const { result, commit } = await mutate(context, 'backlog claim', async (tx) => {
    const tasks = await readBacklog(context);
    const [task] = claimableTasks(tasks, Date.now(), context.config.backlog.lease_minutes);
    // Exit 3, so that a script can tell "nothing to do" from a claim.
    if (!task) throw notFoundError('no task is ready to claim', 'nothing was written; `agentstate backlog list` shows what is in progress and what blocks the rest');
    const changed = claimed(context, task);
    save(tx, tasks, changed.task, `${changed.task.id} claimed by ${changed.task.owner}: ${changed.task.title}`);
    return changed;
  });
  return { ...taskOutput(context, result.task, { commit }), notes: result.notes };
};

/** Give a claimed task back; another agent's claim only with --force (resume shows it as stale). */
export const release: CommandRun<TaskOptions> = async ({ args, options, globals }) => {
  const context = await openContext(globals);
  const { result, commit } = await mutate(context, 'backlog release', async (tx) => {
    const tasks = await readBacklog(context);
    const task = await findTask(context, tasks, args[0] ?? '');
    const changed = validated(context, taskSchema, releaseTask(task, context.agent(), nowIso(), options.force === true));
    save(tx, tasks, changed, `${changed.id} released by ${context.agent()}${task.owner !== context.agent() ? ` (held by ${task.owner})` : ''}: ${changed.title}`);
    return changed;
  });
  return taskOutput(context, result, { commit });
};

/** The dependencies named by --drop-depends (ids or prefixes among the task's own dependencies). */
function dependenciesToRemove(task: Task, texts: string[]): string[] {
  return texts.map((text) => {
    try {
      return resolveIdPrefix('task', text, task.depends_on ?? []);
    } catch (error) {
      throw usageError(`--drop-depends ${text}: ${(error as Error).message.replace(/^no task/, `${task.id} has no dependency`)}`, `nothing was written; its dependencies: ${task.depends_on?.join(', ') || 'none'}`);
    }
  });
}
