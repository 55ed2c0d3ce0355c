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
