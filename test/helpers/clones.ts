import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { cli, git, read, tempDir } from './cli.js';

/** A bare origin and clones of it, each a separate "machine" with its own agent name. */
export function cluster<N extends string>(names: N[], options: { register?: boolean; config?: (text: string) => string } = {}): Record<N | 'origin', string> {
  const origin = tempDir('origin-');
  git(origin, 'init', '-q', '--bare', '-b', 'main');
  const clones = { origin } as Record<N | 'origin', string>;
  for (const [i, name] of names.entries()) {
    const dir = tempDir(`${name}-`);
    git(dir, 'clone', '-q', origin, '.');
    git(dir, 'config', 'user.name', name);
    git(dir, 'config', 'user.email', `${name}@example.com`);
    git(dir, 'config', 'pull.rebase', 'false');
    git(dir, 'config', 'commit.gpgsign', 'false');
    if (i === 0) {
      git(dir, 'checkout', '-q', '-b', 'main');
      expect(cli(dir, ['init']).code).toBe(0);
      if (options.config) {
        writeFileSync(join(dir, '.agentstate/config.yaml'), options.config(read(dir, '.agentstate/config.yaml')));
        git(dir, 'commit', '-qam', 'config');
      }
      if (options.register === false) git(dir, 'config', '--remove-section', 'merge.agentstate-log');
      git(dir, 'push', '-q', '-u', 'origin', 'main');
    } else {
      git(dir, 'pull', '-q', 'origin', 'main');
      git(dir, 'branch', '-q', '--set-upstream-to=origin/main');
      if (options.register !== false) expect(cli(dir, ['hooks', 'install']).code).toBe(0);
    }
    clones[name] = dir;
  }
  return clones;
}

export const pull = (dir: string, ...extra: string[]) => spawnSync('git', ['pull', '-q', '--no-edit', ...extra, 'origin', 'main'], { cwd: dir, encoding: 'utf8' });
export const push = (dir: string) => git(dir, 'push', '-q', 'origin', 'main');

/** Run a command that must succeed; its trimmed stdout. */
export function ok(dir: string, ...args: string[]): string {
  const run = cli(dir, args);
  expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(0);
  return run.stdout.trim();
}

export function conflictMarkers(dir: string): string[] {
  const walk = (path: string): string[] =>
    readdirSync(path).flatMap((name) => {
      if (name === '.git') return [];
      const full = join(path, name);
      return statSync(full).isDirectory() ? walk(full) : [full];
    });
  return walk(dir).filter((file) => /^(<<<<<<<|>>>>>>>|=======)/m.test(readFileSync(file, 'utf8')));
}
