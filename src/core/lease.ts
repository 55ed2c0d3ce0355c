import { readyTasks } from './backlog.js';
import type { ClaimConflict, Task } from './schemas.js';

/**
 * Claims are leases (pure logic). `claim` records the owner, when it claimed (`claimed_at`) and
 * until when the claim holds (`lease_until`); heartbeat and the owner's writes renew it; an
 * expired lease makes the task claimable again. Two clones can claim the same task before they
 * sync: the merge keeps the earliest claim (a tie goes to the agent name that sorts first) and
 * records the other in the task's `conflicts`, so the loser is told, never silently dropped.
 */
export const leaseEnd = (now: number, minutes: number) => new Date(now + minutes * 60_000).toISOString();

/**
 * An active task whose lease ran out (a claim without a lease, from before 0.2, never expires).
 * With the configured lease length: a lease ending further ahead than any claim of ours could set
 * (twice the length, plus five minutes for clocks that differ) is not credible — a planted
 * `lease_until: 2030-…` would hold the task for years — and counts as run out.
 */
export function leaseExpired(task: Task, now: number, minutes?: number): boolean {
  if (task.status !== 'active' || typeof task.lease_until !== 'string') return false;
  const end = Date.parse(task.lease_until);
  return end <= now || (minutes !== undefined && end > now + (2 * minutes + 5) * 60_000);
}

/** What `readyTasks` offers, with active tasks whose lease expired counted as open: best first. */
export function claimableTasks(tasks: Task[], now: number, minutes?: number): Task[] {
  const asOpen = tasks.map((task) => (leaseExpired(task, now, minutes) ? { ...task, status: 'open' as const } : task));
  const original = new Map(tasks.map((task) => [task.id, task]));
  return readyTasks(asOpen).map((task) => original.get(task.id)!);
}

/**
 * The task claimed by `agent` now. Taking over an expired lease records the previous owner in
 * `conflicts` (so it is told it lost the task). The caller has checked that the task is claimable.
 */
export function claimed(task: Task, agent: string, now: number, minutes: number): { task: Task; tookOverFrom?: { agent: string; lease_until: string } } {
  const at = new Date(now).toISOString();
  const previous = task.status === 'active' && task.owner && task.owner !== agent && leaseExpired(task, now, minutes) ? task.owner : undefined;
  const conflicts = previous
    ? sortConflicts([...(task.conflicts ?? []), { agent: previous, ...(task.claimed_at ? { claimed_at: task.claimed_at } : {}), lost_to: agent, reason: 'lease expired' }])
    : task.conflicts;
  const next: Task = {
    ...task,
    status: 'active',
    owner: agent,
    claimed_at: at,
    lease_until: leaseEnd(now, minutes),
    ...(conflicts?.length ? { conflicts } : {}),
    version: task.version + 1,
    updated: at,
  };
  return { task: next, ...(previous ? { tookOverFrom: { agent: previous, lease_until: task.lease_until! } } : {}) };
}

/** Renew the lease when less than half of it is left (or always, for heartbeat); undefined when nothing changes. */
export function renewed(task: Task, agent: string, now: number, minutes: number, force = false): Task | undefined {
  if (task.status !== 'active' || task.owner !== agent || typeof task.lease_until !== 'string') return undefined;
  const left = Date.parse(task.lease_until) - now;
  if (!force && left > (minutes * 60_000) / 2) return undefined;
  return { ...task, lease_until: leaseEnd(now, minutes) };
}

/** Claims `agent` lost, as recorded in the tasks' conflicts. */
export function lostBy(tasks: Task[], agent: string): Array<{ task: Task; conflict: ClaimConflict; key: string }> {
  return tasks.flatMap((task) =>
    (task.conflicts ?? []).filter((conflict) => conflict.agent === agent && conflict.lost_to !== agent).map((conflict) => ({ task, conflict, key: `${task.id}\t${agent}\t${conflict.claimed_at ?? ''}` })),
  );
}

/**
 * Tasks held by two live owners at once: two lines of one task, both active under different
 * owners with leases that have not run out. Our merge never writes that (it keeps one claim and
 * records the other); a merge without the drivers (a union merge, a hand edit) can.
 */
export function liveOwnerClashes(tasks: Task[], now: number): Array<{ id: string; owners: string[] }> {
  const live = new Map<string, Set<string>>();
  for (const task of tasks) {
    if (task.status !== 'active' || !task.owner || leaseExpired(task, now)) continue;
    const owners = live.get(task.id) ?? new Set<string>();
    owners.add(task.owner);
    live.set(task.id, owners);
  }
  return [...live].filter(([, owners]) => owners.size > 1).map(([id, owners]) => ({ id, owners: [...owners].sort() }));
}

export const lostMessage = (id: string, conflict: ClaimConflict) =>
  `you lost task ${id} to ${conflict.lost_to}${conflict.reason === 'lease expired' ? ' (your lease had expired)' : ' (an earlier claim on another clone)'}; stop working on it`;

const CLAIM_KEYS = ['owner', 'claimed_at', 'lease_until', 'conflicts'] as const;
type Fields = Record<string, unknown>;

/**
 * The claim part of a three-way task merge: owner, claimed_at, lease_until and conflicts (and
 * status, in a double claim). Returns the fields and the keys it decided; the rest of the task
 * merges field by field. Symmetric: either clone merging either way round gets the same task.
 */
export function mergeClaim(base: Task | undefined, ours: Task, theirs: Task): { fields: Fields; decided: Set<string> } {
  const decided = new Set<string>(CLAIM_KEYS);
  const conflicts = sortConflicts([...(ours.conflicts ?? []), ...(theirs.conflicts ?? [])]);
  const claimOf = (task: Task | undefined) => (task?.owner ? `${task.owner}\0${task.claimed_at ?? ''}` : '');
  const [o, a, b] = [claimOf(base), claimOf(ours), claimOf(theirs)];
  let fields: Fields;
  if (a === b) {
    fields = pick(ours, ['owner', 'claimed_at']);
    const lease = [ours.lease_until, theirs.lease_until].filter((value): value is string => typeof value === 'string').sort().pop();
    if (lease) fields.lease_until = lease;
  } else if (a === o || (b !== o && !a)) {
    fields = pick(theirs, ['owner', 'claimed_at', 'lease_until']); // only theirs claimed (or theirs claimed and ours released)
  } else if (b === o || !b) {
    fields = pick(ours, ['owner', 'claimed_at', 'lease_until']);
  } else {
    const [winner, loser] = firstClaim(ours, theirs);
    fields = pick(winner, ['owner', 'claimed_at', 'lease_until', 'status']);
    decided.add('status');
    if (loser.owner !== winner.owner) {
      conflicts.push({ agent: loser.owner!, ...(loser.claimed_at ? { claimed_at: loser.claimed_at } : {}), lost_to: winner.owner!, reason: 'double claim', status: loser.status });
    }
  }
  const all = sortConflicts(conflicts);
  if (all.length) fields.conflicts = all;
  return { fields, decided };
}

/** The earliest claim wins; the same time goes to the agent name that sorts first. */
function firstClaim(x: Task, y: Task): [Task, Task] {
  const [cx, cy] = [x.claimed_at ?? x.updated, y.claimed_at ?? y.updated];
  if (cx !== cy) return cx < cy ? [x, y] : [y, x];
  return (x.owner ?? '') <= (y.owner ?? '') ? [x, y] : [y, x];
}

function pick(task: Task, keys: string[]): Fields {
  const out: Fields = {};
  for (const key of keys) if ((task as unknown as Fields)[key] !== undefined) out[key] = (task as unknown as Fields)[key];
  return out;
}

/** Each conflict once, in a fixed order (so both merge directions write the same line). */
function sortConflicts(conflicts: ClaimConflict[]): ClaimConflict[] {
  const unique = new Map<string, ClaimConflict>();
  for (const conflict of conflicts) unique.set(`${conflict.agent}\0${conflict.claimed_at ?? ''}\0${conflict.lost_to}`, conflict);
  return [...unique.entries()].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)).map(([, conflict]) => conflict);
}
