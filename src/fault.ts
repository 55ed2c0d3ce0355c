/**
 * Fault injection for the crash and lock tests: with AGENTSTATE_FAULT=<point>, the process kills
 * itself (SIGKILL, like a power cut for the process) when it reaches that point of the write
 * path; with AGENTSTATE_STALL=<point> it stops itself (SIGSTOP, like a laptop put to sleep or a
 * debugger) until someone sends SIGCONT. Never set outside tests.
 */
export type FaultPoint =
  | 'after-lock'
  | 'before-write'
  | 'after-temp-write'
  | 'after-rename'
  | 'after-append'
  | 'before-commit'
  | 'before-update-ref'
  | 'inside-ref-update'
  | 'after-commit';

export function faultPoint(point: FaultPoint): void {
  if (process.env.AGENTSTATE_FAULT === point) process.kill(process.pid, 'SIGKILL');
  if (process.env.AGENTSTATE_STALL === point) {
    delete process.env.AGENTSTATE_STALL; // once: a retry of the same step goes on
    process.kill(process.pid, 'SIGSTOP');
  }
}
