import { launcherCommand } from '../core/launcher.js';
import { git } from './run.js';
import type { Repo } from './repo.js';

/**
 * The merge drivers of SPEC section 8: `.gitattributes` names a driver per state file, and the
 * local git config says how to run it. Git config is not versioned, so a fresh clone registers
 * the drivers with `agentstate hooks install` (or `init`).
 */
export const DRIVERS = {
  'agentstate-log': 'append-only YAML log: every record either side added, once, ordered by time',
  'agentstate-tsv': 'append-only TSV log: every row either side added, once, ordered by time',
  'agentstate-backlog': 'backlog: three-way merge per task and per field',
  'agentstate-runtime': 'runtime state: fields merged, the later change wins',
  'agentstate-derived': 'derived file: regenerated from the merged sources',
  'agentstate-boot': 'AGENTS.md: your text merged as usual, the block regenerated',
} as const;
export type DriverName = keyof typeof DRIVERS;

const LF = 'eol=lf';

/**
 * `.gitattributes` lines, relative to the project root where the file lives. State files are
 * `eol=lf`: a Windows clone (core.autocrlf=true) checks them out as they are, not with CRLF.
 */
export function attributeLines(stateDir = '.agentstate'): string[] {
  return [
    `${stateDir}/events.yaml merge=agentstate-log ${LF}`,
    `${stateDir}/decisions.yaml merge=agentstate-log ${LF}`,
    `${stateDir}/learnings.yaml merge=agentstate-log ${LF}`,
    `${stateDir}/archive/*.yaml merge=agentstate-log ${LF}`,
    `${stateDir}/catch-log.tsv merge=agentstate-tsv ${LF}`,
    `${stateDir}/archive/*.tsv merge=agentstate-tsv ${LF}`,
    `${stateDir}/backlog.yaml merge=agentstate-backlog ${LF}`,
    `${stateDir}/runtime.json merge=agentstate-runtime ${LF}`,
    `${stateDir}/decisions-index.yaml merge=agentstate-derived ${LF}`,
    // Anchored: the boot file at the project root only, never a nested pkg/web/AGENTS.md.
    '/AGENTS.md merge=agentstate-boot',
  ];
}

export const ATTRIBUTES_COMMENT = '# agentstate merge drivers (register them in a clone with `agentstate hooks install`)';

/** Patterns an older version wrote for a line of ours, and the pattern that replaces each. */
const RENAMED_PATTERNS: Record<string, string> = { 'AGENTS.md': '/AGENTS.md' };

/**
 * The .gitattributes text with our lines present and current; unchanged when they already are.
 * A line of ours (one of our patterns, naming one of our drivers) that an older version wrote is
 * rewritten in place; every other line is the user's and is kept byte for byte.
 */
export function withAttributes(existing: string | undefined): string {
  const text = existing ?? '';
  const wanted = new Map(attributeLines().map((line) => [line.split(/\s+/)[0]!, line]));
  const present = new Set<string>();
  const kept: string[] = [];
  for (const raw of text === '' ? [] : text.replace(/\n$/, '').split('\n')) {
    const line = raw.trim();
    const pattern = line.split(/\s+/)[0]!;
    const current = /\bmerge=agentstate-/.test(line) ? wanted.get(RENAMED_PATTERNS[pattern] ?? pattern) : undefined;
    if (!current) kept.push(raw);
    else if (!present.has(current)) {
      present.add(current);
      kept.push(raw.endsWith('\r') ? `${current}\r` : current);
    }
  }
  const missing = [...wanted.values()].filter((line) => !present.has(line));
  const hasComment = kept.some((line) => line.trim() === ATTRIBUTES_COMMENT);
  const lines = [...kept, ...(missing.length && !hasComment ? [ATTRIBUTES_COMMENT] : []), ...missing];
  const result = lines.length ? `${lines.join('\n')}\n` : '';
  // Byte for byte as it was when nothing of ours changed (a missing last newline included).
  return result.replace(/\n$/, '') === text.replace(/\n$/, '') ? text : result;
}

/**
 * How git runs a driver: agentstate resolved when the merge happens (the project's
 * node_modules/.bin, then PATH), never a node or checkout path baked in at install time.
 */
export function driverCommand(name: DriverName): string {
  return launcherCommand(`merge-driver ${name.replace('agentstate-', '')} %O %A %B %P`);
}

/** Drivers whose local git config is missing or points elsewhere. */
export function unregisteredDrivers(repo: Repo): DriverName[] {
  const result = git(repo.root, ['config', '--get-regexp', '^merge\\.agentstate-']);
  const lines = result.stdout.split('\n');
  return (Object.keys(DRIVERS) as DriverName[]).filter((name) => !lines.includes(`merge.${name}.driver ${driverCommand(name)}`));
}

/** Register the drivers in this clone's git config; returns those that changed. */
export function registerDrivers(repo: Repo): DriverName[] {
  const missing = unregisteredDrivers(repo);
  for (const name of missing) {
    git(repo.root, ['config', `merge.${name}.name`, `agentstate ${DRIVERS[name]}`]);
    git(repo.root, ['config', `merge.${name}.driver`, driverCommand(name)]);
  }
  return missing;
}
