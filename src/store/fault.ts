/**
 * Fault injection for the crash tests: with AGENTSTATE_FAULT=<point>, the process kills itself
 * (SIGKILL, like a power cut for the process) when it reaches that point of the write path.
 * Never set outside tests.
 */
export type FaultPoint = 'after-lock' | 'after-temp-write' | 'after-rename' | 'after-append' | 'before-commit' | 'after-commit';

export function faultPoint(point: FaultPoint): void {
  if (process.env.AGENTSTATE_FAULT === point) process.kill(process.pid, 'SIGKILL');
}
