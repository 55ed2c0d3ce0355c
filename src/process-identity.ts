import { readFileSync } from 'node:fs';

/**
 * Who a process is, so that a lock or a marker it left can be judged after it is gone: its pid,
 * its start time (Linux: clock ticks since boot, field 22 of /proc/<pid>/stat, which tells a pid
 * reused by another process from the one that left the mark) and this boot's id.
 */
export interface ProcessMark {
  pid: number;
  start?: string;
  boot?: string;
}

const readText = (path: string) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

let bootId: string | null | undefined;
/** This boot's id (Linux), read once, when first asked: never at start-up. */
const thisBoot = (): string | undefined => (bootId ??= readText('/proc/sys/kernel/random/boot_id')?.trim() ?? null) ?? undefined;

/** Fields after the parenthesised command name of /proc/<pid>/stat (the name may hold spaces). */
function statFields(pid: number): string[] | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  return stat ? stat.slice(stat.lastIndexOf(')') + 2).split(' ') : undefined;
}

const processStart = (pid: number): string | undefined => statFields(pid)?.[19];

let own: ProcessMark | undefined;

/** This process's mark, read once, when first needed (a lock, an index.lock). */
export function ownMark(): ProcessMark {
  if (own) return own;
  const start = processStart(process.pid);
  const boot = thisBoot();
  own = { pid: process.pid, ...(start ? { start } : {}), ...(boot ? { boot } : {}) };
  return own;
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Why the process that left `mark` on this host is gone, or undefined while it lives. A zombie (killed,
 * not yet reaped by its parent) is gone: it holds nothing and writes nothing.
 */
export function processGone(mark: ProcessMark): string | undefined {
  const boot = thisBoot();
  if (mark.boot && boot && mark.boot !== boot) return `pid ${mark.pid} is from before a reboot`;
  if (!isProcessAlive(mark.pid)) return `pid ${mark.pid} is dead`;
  const fields = statFields(mark.pid);
  if (fields?.[0] === 'Z' || fields?.[0] === 'X') return `pid ${mark.pid} is dead (not yet reaped)`;
  const start = fields?.[19];
  if (mark.start && start && mark.start !== start) return `pid ${mark.pid} is dead (the pid now belongs to another process)`;
  return undefined;
}
