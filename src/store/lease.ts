import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { lostBy, lostMessage, renewed } from '../core/lease.js';
import { parseRecordLine, toLineJson } from '../core/line-format.js';
import { SCHEMA_VERSION, type Task } from '../core/schemas.js';
import { declaredSchema } from '../core/skew.js';
import { AgentstateError } from '../errors.js';
import { readBacklog, writeBacklog } from './backlog-file.js';
import { FILES } from './layout.js';
import { ensureLocalDir, localPath } from './local.js';
import type { StateContext } from './context.js';
import type { Transaction } from './transaction.js';

/**
 * Leases in the store: renewing the acting agent's leases as part of its writes, and telling an
 * agent that it lost a claim. Which losses this clone has already reported with exit 4 is kept
 * under the git dir (never from git), so a script is stopped once per lost task, not forever.
 */
const TOLD_FILE = 'lost-claims-told';

/**
 * Renew the acting agent's leases in this transaction: always (heartbeat), or when less than half
 * of a lease is left (any other write of the agent). Best effort: a backlog it cannot read or may
 * not write (a newer schema) is left alone; the write the command came for goes on. Cheap when
 * the agent holds nothing: one look for its name in the file's bytes.
 */
export async function renewLeases(tx: Transaction, { force = false } = {}): Promise<string[]> {
  const { context } = tx;
  if (!force && tx.changed.size === 0) return [];
  const path = context.path(FILES.backlog);
  const bytes = tx.read(path);
  const agent = context.agent();
  if (!bytes || !bytes.includes(`"owner":${toLineJson(agent)}`)) return [];
  const text = bytes.toString('utf8');
  if ((declaredSchema(text.slice(0, 4096), 'yaml') ?? SCHEMA_VERSION) > SCHEMA_VERSION) return [];
  const now = Date.now();
  const minutes = context.config.backlog.lease_minutes;
  if (!force && !text.split('\n').some((line) => line.includes(agent) && isDue(line, agent, now, minutes))) return [];
  try {
    const tasks = await readBacklog(context);
    const changed: Task[] = [];
    const next = tasks.map((task) => {
      const renewal = renewed(task, agent, now, minutes, force);
      if (renewal) changed.push(renewal);
      return renewal ?? task;
    });
    if (changed.length) writeBacklog(tx, next);
    return changed.map((task) => task.id);
  } catch (error) {
    if (error instanceof AgentstateError) return [];
    throw error;
  }
}

function isDue(line: string, agent: string, now: number, minutes: number): boolean {
  const parsed = parseRecordLine(line);
  return parsed.kind === 'record' && renewed(parsed.value as Task, agent, now, minutes) !== undefined;
}

export interface LostClaim {
  task: string;
  title: string;
  to: string;
  reason: string;
  message: string;
  /** This clone already reported it with exit 4 (sync or heartbeat): said again, but no exit 4. */
  told_before: boolean;
}

/**
 * Claims the acting agent lost that are worth saying: every one this clone has not yet reported
 * with exit 4, and, once reported, those still held by their winner (the task active under
 * another owner), so the loser's later resume, show, heartbeat and sync keep saying it until the
 * news is moot (the winner finished or released it, or the agent holds the task again).
 */
export function lossesToSay(context: StateContext, tasks: Task[]): Array<LostClaim & { key: string }> {
  const told = readTold(context);
  const agent = context.agent();
  return lostBy(tasks, agent)
    .map(({ task, conflict, key }) => ({ task, conflict, key, toldBefore: told.has(key) }))
    .filter(({ task, toldBefore }) => !toldBefore || (task.status === 'active' && task.owner !== agent))
    .map(({ task, conflict, key, toldBefore }) => ({ task: task.id, title: task.title, to: conflict.lost_to, reason: conflict.reason, message: lostMessage(task.id, conflict), told_before: toldBefore, key }));
}

/** Claims the acting agent lost and this clone has not yet reported with exit 4. */
export function untoldLosses(context: StateContext, tasks: Task[]): Array<LostClaim & { key: string }> {
  return lossesToSay(context, tasks).filter((loss) => !loss.told_before);
}

/** Read the backlog (best effort) and list the losses to say. */
export async function lossesToSayNow(context: StateContext): Promise<Array<LostClaim & { key: string }>> {
  // A lost claim is recorded in a task's `conflicts`: a backlog without that word has none to say,
  // and is not parsed (5,000 tasks: the parse was most of a heartbeat's own work).
  try {
    if (!readFileSync(context.path(FILES.backlog)).includes('conflicts')) return []; // in any YAML form a person may have written
  } catch {
    return [];
  }
  try {
    return lossesToSay(context, await readBacklog(context, { validate: false }));
  } catch (error) {
    if (error instanceof AgentstateError) return [];
    throw error;
  }
}

/** Read the backlog (best effort) and list the untold losses. */
export async function untoldLossesNow(context: StateContext): Promise<Array<LostClaim & { key: string }>> {
  return (await lossesToSayNow(context)).filter((loss) => !loss.told_before);
}

/**
 * What sync and heartbeat do with the losses: say every one, mark the new ones told, and exit 4
 * when there was a new one (once per lost claim on this clone, so a script stops once).
 */
export async function tellLosses(context: StateContext): Promise<{ lost: LostClaim[]; messages: string[]; anyNew: boolean }> {
  const losses = await lossesToSayNow(context);
  const fresh = losses.filter((loss) => !loss.told_before);
  markTold(context, fresh.map((loss) => loss.key));
  return { lost: withoutKeys(losses), messages: losses.map((loss) => loss.message), anyNew: fresh.length > 0 };
}

/** Remember that these losses were reported (by sync or heartbeat, with exit 4). */
export function markTold(context: StateContext, keys: string[]): void {
  if (keys.length === 0) return;
  ensureLocalDir(context);
  const told = readTold(context);
  for (const key of keys) told.add(key);
  writeFileSync(localPath(context, TOLD_FILE), [...told].join('\n') + '\n');
}

function readTold(context: StateContext): Set<string> {
  const path = localPath(context, TOLD_FILE);
  if (!existsSync(path)) return new Set();
  return new Set(readFileSync(path, 'utf8').split('\n').filter(Boolean));
}

/** What a command returns when the agent lost claims: the lines, and the keys to mark told. */
export const withoutKeys = (losses: Array<LostClaim & { key: string }>): LostClaim[] => losses.map(({ key: _key, ...loss }) => loss);
