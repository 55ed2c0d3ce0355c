import type { CommandOutput, CommandRun } from '../command.js';
import { findCycle } from '../core/backlog.js';
import { claimableTasks, claimed as claimLease, leaseExpired } from '../core/lease.js';
import { newId, resolveIdPrefix } from '../core/ids.js';
import { PRIORITIES, TASK_STATUSES, taskSchema, type Task } from '../core/schemas.js';
import { conflictError, usageError } from '../errors.js';
import { readBacklog, writeBacklog } from '../store/backlog-file.js';
import { untoldLosses } from '../store/lease.js';
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
  depends?: string[];
  dropDepends?: string[];
  notes?: string;
  expectVersion?: string;
  once?: string;
  claim?: boolean;
  all?: boolean;
}

const taskRows = (tasks: Task[], style: Style) =>
  table(
    [
      ['PRI', 'STATUS', 'ID', 'TITLE', 'OWNER', 'VER'],
      ...tasks.map((task) => [
        task.priority === 'P0' ? style.red(task.priority) : task.priority,
        task.status,
        task.id,
        task.title,
        task.owner ?? '-',
        String(task.version),
      ]),
    ],
    style,
  );

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

function resolveDependencies(tasks: Task[], texts: string[]): string[] {
  return texts.map((text) => {
    try {
      return resolveTask(tasks, text).id;
    } catch (error) {
      throw usageError(`--depends ${text}: ${(error as Error).message}`, 'a dependency must name an existing task (`agentstate backlog list --all`)');
    }
  });
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

/** The task claimed by this agent as a lease (backlog.lease_minutes); an expired lease of another agent may be taken over. */
function claimed(context: StateContext, task: Task): { task: Task; notes: string[] } {
  const agent = context.agent();
  const now = Date.now();
  if (task.status === 'active' && task.owner && task.owner !== agent && !leaseExpired(task, now)) {
    const until = task.lease_until ? `its lease runs until ${task.lease_until}` : `active since ${task.updated}`;
    throw conflictError(`${task.id} is held by ${task.owner} (${until})`, 'pick another task: `agentstate backlog next --claim`');
  }
  if (task.status !== 'open' && task.status !== 'active') {
    throw usageError(`${task.id} is ${task.status}; only an open task can be claimed`, `reopen it with \`agentstate backlog update ${task.id} --status open\``);
  }
  const claim = claimLease(task, agent, now, context.config.backlog.lease_minutes);
  const notes = claim.tookOverFrom ? [`took over ${task.id} from ${claim.tookOverFrom.agent}, whose lease expired at ${claim.tookOverFrom.lease_until}`] : [];
  return { task: validated(context, taskSchema, claim.task), notes };
}

export const add: CommandRun<TaskOptions> = async ({ args, options, globals }) => {
  checkPriority(options.priority);
  const context = await openContext(globals);
  const { result, commit } = await mutate(context, 'backlog add', async (tx) => {
    const tasks = await readBacklog(context);
    const existing = options.once ? tasks.find((task) => task.once === options.once) : undefined;
    if (existing) return existing;
    const now = nowIso();
    const task = validated(context, taskSchema, {
      id: newId('task'),
      title: args[0],
      status: 'open',
      priority: options.priority ?? 'P2',
      ...(options.epic ? { epic: options.epic } : {}),
      ...(options.tag?.length ? { tags: options.tag } : {}),
      ...(options.depends?.length ? { depends_on: resolveDependencies(tasks, options.depends) } : {}),
      version: 1,
      created: now,
      updated: now,
      ...(options.notes ? { notes: options.notes } : {}),
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
  const tasks = (await readBacklog(context)).filter(
    (task) =>
      (options.status ? task.status === options.status : options.all || (task.status !== 'done' && task.status !== 'dropped')) &&
      (!options.epic || task.epic === options.epic) &&
      (!options.tag?.length || options.tag.every((tag) => task.tags?.includes(tag))),
  );
  return {
    data: { tasks, count: tasks.length, warnings: context.warnings },
    quiet: tasks.map((task) => task.id).join('\n'),
    warnings: context.warnings,
    human: (style) => (tasks.length ? taskRows(tasks, style) : 'no tasks match'),
  };
};

export const show: CommandRun<TaskOptions> = async ({ args, globals }) => {
  const context = await openContext(globals);
  const task = resolveTask(await readBacklog(context), args[0] ?? '');
  const lost = untoldLosses(context, [task]).map((loss) => loss.message);
  const output = taskOutput(context, task, { lost }, () =>
    Object.entries(task)
      .map(([key, value]) => `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`)
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
    const task = resolveTask(tasks, args[0] ?? '');
    if (expected !== undefined && task.version !== expected) {
      throw conflictError(`${task.id} is at version ${task.version}, not ${expected}`, 'nothing was written; re-read it with `agentstate backlog show` and retry');
    }
    const dropped = new Set(options.dropDepends?.length ? resolveDependencies(tasks, options.dropDepends) : []);
    const kept = (task.depends_on ?? []).filter((dep) => !dropped.has(dep));
    const depends = options.depends?.length ? [...new Set([...kept, ...resolveDependencies(tasks, options.depends)])] : kept;
    // Only an edge this update adds can close a cycle; one a merge made is reported by `check`, with the fix.
    if (options.depends?.length) {
      const cycle = findCycle(tasks, task.id, depends);
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
      ...(options.tag?.length ? { tags: [...new Set([...(task.tags ?? []), ...options.tag])] } : {}),
      ...(depends.length ? { depends_on: depends } : {}),
      ...(options.notes !== undefined ? { notes: options.notes } : {}),
      version: task.version + 1,
      updated: nowIso(),
    });
    save(tx, tasks, changed, `${changed.id} ${changed.status}: ${changed.title}`);
    return changed;
  });
  return taskOutput(context, result, { commit });
};

export const claim: CommandRun<TaskOptions> = async ({ args, globals }) => {
  const context = await openContext(globals);
  const { result, commit } = await mutate(context, 'backlog claim', async (tx) => {
    const tasks = await readBacklog(context);
    const task = resolveTask(tasks, args[0] ?? '');
    if (task.status === 'active' && task.owner === context.agent()) return { task, notes: [] };
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
    const [task] = claimableTasks(await readBacklog(context), Date.now());
    return taskOutput(context, task, {}, (style) => (task ? taskRows([task], style) : 'no task is ready'));
  }
  const { result, commit } = await mutate(context, 'backlog claim', async (tx) => {
    const tasks = await readBacklog(context);
    const [task] = claimableTasks(tasks, Date.now());
    if (!task) return undefined;
    const changed = claimed(context, task);
    save(tx, tasks, changed.task, `${changed.task.id} claimed by ${changed.task.owner}: ${changed.task.title}`);
    return changed;
  });
  return { ...taskOutput(context, result?.task, { commit }, (style) => (result ? taskRows([result.task], style) : 'no task is ready')), notes: result?.notes ?? [] };
};
