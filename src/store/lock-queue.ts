import { mkdirSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ownMark, processGone, type ProcessMark } from '../process-identity.js';

/**
 * The waiters of a lock, first come first served. Without it the lock goes to whichever process
 * retries at the right moment: with six agents writing in a loop, one waiter lost again and again
 * and gave up after the whole timeout (seen in the crash suite under load). A waiter leaves a
 * ticket named by its arrival time; only the oldest live ticket may take the lock, and a newcomer
 * takes it straight away only while nobody waits. A ticket whose process is gone (same host: a
 * dead or reused pid; another host: older than the stale time) is removed by the next waiter.
 */
export class LockQueue {
  private readonly dir: string;
  private ticket: string | undefined;

  constructor(lockPath: string) {
    this.dir = `${lockPath}.queue`;
  }

  /** Somebody waits (a ticket, live or not yet judged): a newcomer joins the queue. */
  anyWaiting(): boolean {
    try {
      return readdirSync(this.dir).length > 0;
    } catch {
      return false;
    }
  }

  join(): void {
    mkdirSync(this.dir, { recursive: true });
    const name = `${String(Date.now()).padStart(15, '0')}-${String(process.pid).padStart(10, '0')}-${randomBytes(4).toString('hex')}`;
    writeFileSync(join(this.dir, name), JSON.stringify({ ...ownMark(), host: hostname() }));
    this.ticket = name;
  }

  /** This waiter's turn: no live ticket is older than its own. */
  isFirst(staleMs: number, now = Date.now()): boolean {
    if (!this.ticket) return true;
    let names: string[];
    try {
      names = readdirSync(this.dir).sort();
    } catch {
      return true;
    }
    for (const name of names) {
      if (name >= this.ticket) return true;
      if (!this.gone(name, staleMs, now)) return false;
      try {
        unlinkSync(join(this.dir, name));
      } catch {
        /* removed by another waiter */
      }
    }
    return true;
  }

  leave(): void {
    if (!this.ticket) return;
    try {
      unlinkSync(join(this.dir, this.ticket));
    } catch {
      /* already gone */
    }
    this.ticket = undefined;
  }

  private gone(name: string, staleMs: number, now: number): boolean {
    const path = join(this.dir, name);
    try {
      const mark = JSON.parse(readFileSync(path, 'utf8')) as ProcessMark & { host?: string };
      if (mark.host === hostname()) return processGone(mark) !== undefined;
      return now - statSync(path).mtimeMs > staleMs;
    } catch {
      // Unreadable: being written right now (young), or damaged (old).
      try {
        return now - statSync(path).mtimeMs > 2_000;
      } catch {
        return true;
      }
    }
  }
}
