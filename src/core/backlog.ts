import type { Task } from './schemas.js';

/** Pure backlog logic: which task is next, dependency cycles. */
const PRIORITY_RANK: Record<string, number> = { P0: 0, P1: 1, P2: 2, P3: 3 };

const compare = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);

export function byPriority(a: Task, b: Task): number {
  return (PRIORITY_RANK[a.priority] ?? 9) - (PRIORITY_RANK[b.priority] ?? 9) || compare(a.created, b.created) || compare(a.id, b.id);
}

/** Open tasks whose dependencies are all done, best first. Never a blocked one. */
export function readyTasks(tasks: Task[]): Task[] {
  const status = new Map(tasks.map((task) => [task.id, task.status]));
  return tasks
    .filter((task) => task.status === 'open' && (task.depends_on ?? []).every((dep) => status.get(dep) === 'done'))
    .sort(byPriority);
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
