import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { cli, git, tempDir } from './cli.js';

/**
 * One bare remote and clones of it, each a "machine" with its own git user and agent name. The
 * first clone runs `init` and pushes; the others clone after that and register nothing (sync
 * registers the merge drivers itself).
 */
export function bareWithClones<N extends string>(names: N[]): { origin: string; clones: Record<N, string> } {
  const origin = tempDir('origin-');
  git(origin, 'init', '-q', '--bare', '-b', 'main');
  const clones = {} as Record<N, string>;
  for (const [i, name] of names.entries()) {
    const dir = tempDir(`${name}-`);
    git(dir, 'clone', '-q', origin, '.');
    git(dir, 'config', 'user.name', name);
    git(dir, 'config', 'user.email', `${name}@example.com`);
    git(dir, 'config', 'commit.gpgsign', 'false');
    if (i === 0) {
      git(dir, 'checkout', '-q', '-b', 'main');
      const init = cli(dir, ['init']);
      expect(init.code, init.stderr).toBe(0);
      git(dir, 'push', '-q', '-u', 'origin', 'main');
    }
    clones[name] = dir;
  }
  for (const name of names.slice(1)) git(clones[name], 'pull', '-q', 'origin', 'main');
  return { origin, clones };
}

/** Every file of a work tree (no .git): no line may start a conflict marker. */
export function expectNoConflictMarkers(dir: string): void {
  const walk = (path: string): string[] =>
    readdirSync(path).flatMap((name) => {
      if (name === '.git') return [];
      const full = join(path, name);
      return statSync(full).isDirectory() ? walk(full) : [full];
    });
  for (const file of walk(dir)) expect(readFileSync(file, 'utf8'), file).not.toMatch(/^(<<<<<<<|>>>>>>>|=======)( |$)/m);
}

/** Record ids in a state log of a work tree (active file and sealed segments), with repeats. */
export function idsIn(dir: string, file: 'events.yaml' | 'decisions.yaml'): string[] {
  const stem = file.split('.')[0]!;
  const archive = join(dir, '.agentstate/archive');
  const segments = (() => {
    try {
      return readdirSync(archive).filter((name) => name.startsWith(`${stem}.`) && name.endsWith('.yaml')).map((name) => join(archive, name));
    } catch {
      return [];
    }
  })();
  return [join(dir, '.agentstate', file), ...segments].flatMap((path) =>
    readFileSync(path, 'utf8')
      .split('\n')
      .flatMap((line) => /^- \{"id":"([^"]+)"/.exec(line)?.[1] ?? []),
  );
}

export const remoteHead = (origin: string) => git(origin, 'rev-parse', 'refs/heads/main').trim();
