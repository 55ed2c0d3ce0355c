import { conflictError, usageError } from '../errors.js';
import { claimed as leaseFor, leaseExpired } from './lease.js';
import type { Task } from './schemas.js';

/**
 * Taking and giving back a task: the one place that decides who may hold a task. Pure; the
 * caller holds the state lock, validates and writes the result. A claim is a lease
 * (core/lease.ts): another agent's claim holds while its lease runs, and an expired one may be
 * taken over (the previous owner is recorded in the task's conflicts).
 */
export function claimTask(task: Task, agent: string, now: string, leaseMinutes: number): { task: Task; tookOverFrom?: { agent: string; lease_until: string } } {
  if (task.status === 'active' && task.owner && task.owner !== agent && !leaseExpired(task, Date.parse(now), leaseMinutes)) {
    const held = task.lease_until ? `its lease runs until ${task.lease_until}` : `active since ${String(task.claimed_at ?? task.updated)}`;
    throw conflictError(`${task.id} is held by ${task.owner} (${held})`, 'pick another task: `agentstate backlog next --claim`');
  }
  if (task.status !== 'open' && task.status !== 'active') {
    throw usageError(`${task.id} is ${task.status}; only an open task can be claimed`, `reopen it with \`agentstate backlog update ${task.id} --status open\``);
  }
  return leaseFor(task, agent, Date.parse(now), leaseMinutes);
}

/** True when `agent` already holds the task (claiming again changes nothing). */
export const holds = (task: Task, agent: string): boolean => task.status === 'active' && task.owner === agent;

/**
 * Give a claimed task back: status open, no owner. Another agent's claim is released only with
 * `force` (the owner died: `resume` shows the claim as stale).
 */
export function releaseTask(task: Task, agent: string, now: string, force = false): Task {
  if (task.status !== 'active') {
    throw usageError(`${task.id} is ${task.status}, not claimed; nothing to release`, 'nothing was written');
  }
  if (task.owner && task.owner !== agent && !force) {
    throw conflictError(
      `${task.id} is held by ${task.owner}, not ${agent}`,
      `nothing was written; if ${task.owner} is gone, take it back with \`agentstate backlog release ${task.id} --force\``,
    );
  }
  const released: Task = { ...task, status: 'open', version: task.version + 1, updated: now };
  delete released.owner;
  delete released.claimed_at;
  delete released.lease_until;
  return released;
}
