/** Where everything lives (SPEC section 2). */
export const STATE_DIR = '.agentstate';
export const BOOT_FILE = 'AGENTS.md';
export const LOCKS_DIR = '.locks';
export const ARCHIVE_DIR = 'archive';
export const BLOBS_DIR = 'blobs';

export const FILES = {
  config: 'config.yaml',
  events: 'events.yaml',
  catches: 'catch-log.tsv',
  decisions: 'decisions.yaml',
  decisionsIndex: 'decisions-index.yaml',
  backlog: 'backlog.yaml',
  runtime: 'runtime.json',
  learnings: 'learnings.yaml',
  gitignore: '.gitignore',
} as const;

/** The append-only YAML logs: file, list key and header comment. */
export const LOGS = {
  events: {
    file: FILES.events,
    listKey: 'events',
    comment: 'agentstate event log: append-only, one event per line. Add with `agentstate log`.',
  },
  decisions: {
    file: FILES.decisions,
    listKey: 'decisions',
    comment: 'agentstate decision chain: append-only, one record per line. Add with `agentstate decide`.',
  },
  learnings: {
    file: FILES.learnings,
    listKey: 'learnings',
    comment: 'agentstate learnings: append-only, one record per line. Add with `agentstate learn`.',
  },
} as const;
export type LogName = keyof typeof LOGS;

export const STATE_GITIGNORE = `# agentstate: local lock files and temp files are never committed
${LOCKS_DIR}/
*.tmp
# bytes that \`doctor --repair\` or an append set aside: look at them, then delete them
*.corrupt-*
`;
