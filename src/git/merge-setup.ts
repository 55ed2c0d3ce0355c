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

/** `.gitattributes` lines, relative to the project root where the file lives. */
export function attributeLines(stateDir = '.agentstate'): string[] {
  return [
    `${stateDir}/events.yaml merge=agentstate-log`,
    `${stateDir}/decisions.yaml merge=agentstate-log`,
    `${stateDir}/archive/*.yaml merge=agentstate-log`,
    `${stateDir}/catch-log.tsv merge=agentstate-tsv`,
    `${stateDir}/archive/*.tsv merge=agentstate-tsv`,
    `${stateDir}/backlog.yaml merge=agentstate-backlog`,
    `${stateDir}/runtime.json merge=agentstate-runtime`,
    `${stateDir}/decisions-index.yaml merge=agentstate-derived`,
    'AGENTS.md merge=agentstate-boot',
  ];
}

export const ATTRIBUTES_COMMENT = '# agentstate merge drivers (register them in a clone with `agentstate hooks install`)';

/** The .gitattributes text with our lines present; unchanged when they already are. */
export function withAttributes(existing: string | undefined): string {
  const text = existing ?? '';
  const present = new Set(text.split(/\r?\n/).map((line) => line.trim()));
  const missing = attributeLines().filter((line) => !present.has(line));
  if (missing.length === 0) return text;
  const lines = present.has(ATTRIBUTES_COMMENT) ? missing : [ATTRIBUTES_COMMENT, ...missing];
  const separator = text === '' || text.endsWith('\n') ? '' : '\n';
  return `${text}${separator}${lines.join('\n')}\n`;
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
