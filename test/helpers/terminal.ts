import { spawnSync } from 'node:child_process';
import { BIN, baseEnv } from './cli.js';

/**
 * Run the built CLI in a real terminal: a detached tmux session of a given size, on a socket of
 * its own, and read the screen back with capture-pane (-e keeps the colours as escape codes).
 */
let sessions = 0;

export function onTerminal(
  dir: string,
  args: string[],
  options: { columns: number; rows?: number; env?: Record<string, string | undefined> },
): { screen: string; code: number } {
  const socket = `agentstate-test-${process.pid}-${sessions++}`;
  const tmux = (...tmuxArgs: string[]) => spawnSync('tmux', ['-L', socket, '-f', '/dev/null', ...tmuxArgs], { cwd: dir, env: baseEnv(options.env ?? {}), encoding: 'utf8' });
  const quoted = [process.execPath, BIN, ...args].map((arg) => `'${arg.replace(/'/g, `'\\''`)}'`).join(' ');
  const started = tmux('new-session', '-d', '-x', String(options.columns), '-y', String(options.rows ?? 50), `${quoted}; echo __exit_$?__; sleep 60`);
  if (started.status !== 0) throw new Error(`tmux could not start (apt-get install tmux): ${started.stderr}`);
  try {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const screen = tmux('capture-pane', '-p', '-e', '-S', '0').stdout;
      // tmux may have cut `__exit_0__` with escape codes around it: look at the plain text.
      const exit = /__exit_(\d+)__/.exec(strip(screen));
      if (exit) return { screen: screen.slice(0, screen.lastIndexOf('__exit_')).replace(/\s+$/, ''), code: Number(exit[1]) };
      if (Date.now() > deadline) throw new Error(`the command did not finish in the terminal:\n${screen}`);
      spawnSync('sleep', ['0.1']);
    }
  } finally {
    tmux('kill-server');
  }
}

// eslint-disable-next-line no-control-regex
export const strip = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, '');

/** `text` drawn in the colour of SGR `code` (tmux re-encodes what it was sent, so other codes may sit between). */
export const styled = (code: number, text: string) => new RegExp(`\u001b\\[(?:[0-9;]*;)?${code}m(?:\u001b\\[[0-9;]*m)*${text}`);
