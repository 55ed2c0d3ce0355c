import { launcherArgv, launcherCommand } from './launcher.js';
import type { SessionHook } from './settings-edits.js';

/**
 * What `agentstate setup <agent>` writes for each agent tool. Every command goes through the
 * launcher (resolved when it runs, never a path baked in). Claude Code, Codex and Gemini CLI
 * print a SessionStart hook's output into the new session; Cursor reads a project rule.
 */
export const BRIEFING_BUDGET = 500;
const RESUME = `resume --budget ${BRIEFING_BUDGET}`;
/** What `setup claude` wrote before the launcher existed: replaced on the next run. */
const LEGACY = [`agentstate ${RESUME}`];

export const AGENTS_MD = 'AGENTS.md';

export const CLAUDE = {
  memory: 'CLAUDE.md',
  settings: '.claude/settings.json',
  mcp: '.mcp.json',
  /** Claude Code's SessionStart sources: a new session, --resume, /clear, and after compaction. */
  hook: { command: launcherCommand(RESUME), matcher: 'startup|resume|clear|compact', legacy: LEGACY } satisfies SessionHook,
};

export const CODEX = {
  hooks: '.codex/hooks.json',
  hook: { command: launcherCommand(RESUME), matcher: 'startup|resume|clear|compact', legacy: LEGACY } satisfies SessionHook,
};

export const GEMINI = {
  settings: '.gemini/settings.json',
  /** Gemini CLI's default context file, kept when AGENTS.md is added. */
  defaultContext: 'GEMINI.md',
  /** No matcher: every start (startup, resume, clear); Gemini matches lifecycle sources exactly, not as patterns. */
  hook: { command: launcherCommand(`${RESUME} --format hook`), extra: { name: 'agentstate-resume' }, legacy: [] } satisfies SessionHook,
};

export const CURSOR = {
  rule: '.cursor/rules/agentstate.mdc',
  mcp: '.cursor/mcp.json',
};

/** The MCP server entry, the same for every client that reads `mcpServers` from JSON. */
export const MCP_SERVER_NAME = 'agentstate';
export function mcpServerEntry(): { command: string; args: string[] } {
  const [command, ...args] = launcherArgv(['mcp']);
  return { command: command!, args };
}

export const IMPORT_LINE = '@AGENTS.md';

/** CLAUDE.md with the import line present exactly once (Claude Code ignores AGENTS.md when a CLAUDE.md exists). */
export function withImport(existing: string | undefined): string {
  if (existing === undefined || existing === '') return `${IMPORT_LINE}\n`;
  if (existing.split(/\r?\n/).some((line) => line.trim() === IMPORT_LINE)) return existing;
  return `${existing}${existing.endsWith('\n') ? '' : '\n'}\n${IMPORT_LINE}\n`;
}

/** The Cursor project rule: always applied, it points at the briefing and the commands that keep it true. */
export const CURSOR_RULE = `---
description: Boot from agentstate, this project's durable memory (decisions, tasks, state)
alwaysApply: true
---
# agentstate

This project keeps its decisions, tasks, events and runtime state in \`.agentstate/\`, one git commit per change.
The current briefing is the agentstate block of @AGENTS.md; for a fresh one, run \`agentstate resume --budget 1500\`.

- Before acting on a choice, record it: \`agentstate decide "<what>" --why "<why>"\`; afterwards \`agentstate outcome <id> done\` (or failed, abandoned).
- Take work with \`agentstate backlog next --claim\`; record what happened with \`agentstate log "<what>"\`.
- Before you stop: \`agentstate handoff --done "<item>" --remaining "<item>"\`.
`;

/**
 * Whether a Codex build has lifecycle hooks, from `codex features list` (lines of name, stage,
 * enabled: `hooks  stable  true`; `codex_hooks` in older builds). Undefined: it has none.
 */
export function codexHooksFeature(featuresList: string): { stage: string; enabled: boolean } | undefined {
  for (const line of featuresList.split(/\r?\n/)) {
    const match = /^(hooks|codex_hooks)\s+(.+?)\s+(true|false)\s*$/.exec(line.trim());
    if (match && match[2] !== 'removed') return { stage: match[2]!, enabled: match[3] === 'true' };
  }
  return undefined;
}
