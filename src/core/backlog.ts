import type { Task } from './schemas.js';

/** Pure backlog logic: which task is next, dependency cycles. */
const PRIORITY_RANK: Record<string, number> = { P0: 0, P1: 1, P2: 2, P3: 3 };

const compare = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);

export function byPriority(a: Task, b: Task): number {
  return (PRIORITY_RANK[a.priority] ?? 9) - (PRIORITY_RANK[b.priority] ?? 9) || compare(a.created, b.created) || compare(a.id, b.id);
}

/** Open, and every task it depends on done (`statusOf` gives a task's status by id). */
export function isReady(task: Task, statusOf: (id: string) => string | undefined): boolean {
  return task.status === 'open' && (task.depends_on ?? []).every((dep) => statusOf(dep) === 'done');
}

/** Open tasks whose dependencies are all done, best first. Never a blocked one. */
export function readyTasks(tasks: Task[]): Task[] {
  const status = new Map(tasks.map((task) => [task.id, task.status]));
  return tasks.filter((task) => isReady(task, (id) => status.get(id))).sort(byPriority);
}

/** The dependency cycle that `id` depending on `deps` would close, as a path of ids, if any. */
export function findCycle(tasks: Task[], id: string, deps: string[]): string[] | undefined {
  const edges = new Map(tasks.map((task) => [task.id, task.depends_on ?? []]));
  edges.set(id, deps);
  const path: string[] = [];
  const visiting = new Set<string>();
  const done = new Set<string>();
  const visit = (node: string): string[] | undefined => {
    if (visiting.has(node)) return [...path.slice(path.indexOf(node)), node];
    if (done.has(node)) return undefined;
    visiting.add(node);
    path.push(node);
    for (const next of edges.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    visiting.delete(node);
    done.add(node);
    return undefined;
  };
  return visit(id);
}

/** Some dependency cycle in the whole backlog, if there is one: one pass over the graph. */
export function anyCycle(tasks: Task[]): string[] | undefined {
  const edges = new Map(tasks.map((task) => [task.id, task.depends_on ?? []]));
  const state = new Map<string, 1 | 2>(); // 1: on the current path, 2: done
  for (const start of edges.keys()) {
    if (state.has(start)) continue;
    const path: string[] = [];
    const stack: Array<{ id: string; next: number }> = [{ id: start, next: 0 }];
    state.set(start, 1);
    path.push(start);
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const deps = edges.get(top.id) ?? [];
      if (top.next >= deps.length) {
        state.set(top.id, 2);
        stack.pop();
        path.pop();
        continue;
      }
      const dep = deps[top.next++]!;
      if (state.get(dep) === 1) return [...path.slice(path.indexOf(dep)), dep];
      if (!state.has(dep) && edges.has(dep)) {
        state.set(dep, 1);
        path.push(dep);
        stack.push({ id: dep, next: 0 });
      }
    }
  }
  return undefined;
}

/**
 * Done and dropped tasks leave the active backlog.yaml for sealed archive segments
 * (archive/backlog.<stamp>.<random>.yaml), so that a write costs the same with 50 or 5,000 tasks.
 */
export const isSettled = (task: Task) => task.status === 'done' || task.status === 'dropped';

/** Of two copies of one task (two segments, or a segment and the active file), the newer: higher version, then later change. */
export function newerTask(a: Task, b: Task): Task {
  if (a.version !== b.version) return a.version > b.version ? a : b;
  return String(b.updated) > String(a.updated) ? b : a;
}

/**
 * Every task, each id once: the archived ones (their newest copy; two clones may seal one task
 * into two segments), each replaced by the active file's copy when it has one (a task changed
 * after it was sealed is back in the active file), then the active ones in file order.
 */
export function effectiveTasks(segments: Task[][], active: Task[]): Task[] {
  const inActive = new Set(active.map((task) => task.id));
  const archived = new Map<string, Task>();
  for (const segment of segments) {
    for (const task of segment) {
      if (inActive.has(task.id)) continue;
      const known = archived.get(task.id);
      archived.set(task.id, known ? newerTask(known, task) : task);
    }
  }
  return [...archived.values(), ...active];
}

/** Ids the active tasks depend on that the active file does not hold (sealed, or unknown). */
export function missingDependencies(active: Task[]): Set<string> {
  const ids = new Set(active.map((task) => task.id));
  const missing = new Set<string>();
  for (const task of active) for (const dep of task.depends_on ?? []) if (!ids.has(dep)) missing.add(dep);
  return missing;
}

/**
 * The settled tasks a seal may move out of the active file: done or dropped, not changed by this
 * command (`keep`), and not a dependency of a task that stays (its readiness reads their status
 * from the active file alone).
 */
export function tasksToSeal(tasks: Task[], keep: Set<string>): Task[] {
  const needed = new Set<string>();
  for (const task of tasks) if (!isSettled(task) || keep.has(task.id)) for (const dep of task.depends_on ?? []) needed.add(dep);
  return tasks.filter((task) => isSettled(task) && !keep.has(task.id) && !needed.has(task.id));
}
