// Sampling helpers shared by the bench sections: medians, interleaved rounds, and one child's
// wall and CPU time.
import { spawnSync } from 'node:child_process';

export const round = (n) => Math.round(n * 10) / 10;

export function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
  return { median: round(median), min: round(sorted[0]), max: round(sorted[sorted.length - 1]), runs: samples.length };
}

/**
 * Interleaved sampling: round after round, every step once, so that all of them meet the same
 * machine load (this kind of machine is shared and noisy; medians taken minutes apart are not
 * comparable). A step returns its wall ms, or `{ wall, cpu }` (ms); returns stats per step, with
 * `cpu` stats beside the wall ones when the steps measured it.
 */
export function interleaved(steps, runs, warm = 2) {
  const samples = Object.fromEntries(Object.keys(steps).map((name) => [name, { wall: [], cpu: [] }]));
  for (let round = -warm; round < runs; round++) {
    for (const [name, step] of Object.entries(steps)) {
      const measured = step(round);
      if (round < 0) continue;
      const { wall, cpu } = typeof measured === 'number' ? { wall: measured } : measured;
      samples[name].wall.push(wall);
      if (cpu !== undefined) samples[name].cpu.push(cpu);
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([name, { wall, cpu }]) => [name, { ...stats(wall), ...(cpu.length ? { cpu: stats(cpu) } : {}) }]));
}

/**
 * Run one command and measure it from inside a bash wrapper: the wall time of the child alone
 * (bash's EPOCHREALTIME around it, so bash's own start is not counted) and its CPU time, user +
 * system of it and all its children (git) from bash's `times`, to the millisecond. On a shared
 * machine the wall time follows the neighbours' load; the CPU time much less.
 */
const WRAPPER = 's=$EPOCHREALTIME; "$@"; rc=$?; e=$EPOCHREALTIME; echo "@@timing $s $e" >&2; times >&2; exit $rc';

export function run(cwd, env, command, args, { allowFail = false } = {}) {
  const result = spawnSync('bash', ['-c', WRAPPER, 'bash', command, ...args], { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 });
  const at = result.stderr.lastIndexOf('@@timing ');
  if (at < 0) throw new Error(`${command} ${args.join(' ')}: no timing (${result.error ?? result.stderr})`);
  const tail = result.stderr.slice(at).split('\n');
  const [, start, end] = tail[0].split(' ');
  const seconds = (text) => {
    const [, m, s] = /(\d+)m([\d.]+)s/.exec(text) ?? [];
    return Number(m) * 60 + Number(s);
  };
  const [user, system] = (tail[2] ?? '').trim().split(/\s+/).map(seconds);
  const stderr = result.stderr.slice(0, at);
  if (result.status !== 0 && !allowFail) throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${stderr}`);
  return { wall: (Number(end) - Number(start)) * 1000, cpu: (user + system) * 1000, status: result.status, stdout: result.stdout, stderr };
}
