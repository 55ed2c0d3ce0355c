import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AGENTS_MD, CLAUDE, CODEX, CURSOR, CURSOR_RULE, GEMINI, MCP_SERVER_NAME, codexHooksFeature, mcpServerEntry, withImport } from '../core/agents.js';
import { JsonTextError } from '../core/json-text.js';
import { withContextFile, withMcpServer, withSessionHook, type Edited } from '../core/settings-edits.js';
import { failure } from '../errors.js';
import { findBlock } from './boot-file.js';
import type { StateContext } from './context.js';
import { refuseSymlink, refuseSymlinkedDirs, writeFileAtomic } from './durable.js';

/**
 * `agentstate setup <agent>`, all files or none: every file is read and every edit computed
 * first (a file that does not parse stops everything, before a byte is written), then all are
 * written; if a write fails, the ones already written are put back. These are the user's files:
 * they are written, never committed by agentstate (the user reviews and commits them).
 */
export interface SetupPlan {
  /** Paths relative to the project, in the order written. */
  changes: Array<{ path: string; before: string | undefined; after: string }>;
  notes: string[];
  /** Codex without a session hook: it boots from AGENTS.md alone. */
  agentsMdOnly?: boolean;
}

export type SetupTarget = 'claude' | 'codex' | 'gemini' | 'cursor';

export interface SetupChoices {
  mcp?: boolean;
  /** Codex: write the session hook (true), never (false), or when the installed Codex has hooks (undefined). */
  hooks?: boolean;
}

class Planner {
  private readonly files = new Map<string, { before: string | undefined; after: string }>();
  readonly notes: string[] = [];
  agentsMdOnly = false;

  constructor(
    private readonly root: string,
    private readonly target: SetupTarget,
  ) {}

  private current(path: string): string | undefined {
    const planned = this.files.get(path);
    if (planned) return planned.after;
    const absolute = join(this.root, path);
    return existsSync(absolute) ? readFileSync(absolute, 'utf8') : undefined;
  }

  edit(path: string, change: (text: string | undefined) => Edited): void {
    refuseSymlinkedDirs(this.root, join(this.root, path));
    refuseSymlink(join(this.root, path));
    const before = this.files.get(path)?.before ?? this.current(path);
    let edited: Edited;
    try {
      edited = change(this.current(path));
    } catch (error) {
      if (!(error instanceof JsonTextError)) throw error;
      const where = /^\d/.test(error.message) ? `${path}:${error.message}` : `${path}: ${error.message}`;
      throw failure(where, `nothing was changed; fix the file by hand, then run \`agentstate setup ${this.target}\` again`);
    }
    if (edited.note) this.notes.push(`${path}: ${edited.note}`);
    if (edited.text !== this.current(path)) this.files.set(path, { before, after: edited.text });
  }

  plan(): SetupPlan {
    const changes = [...this.files].filter(([, file]) => file.after !== file.before).map(([path, file]) => ({ path, ...file }));
    return { changes, notes: this.notes, ...(this.agentsMdOnly ? { agentsMdOnly: true } : {}) };
  }
}

const json = (change: (text: string) => Edited) => (text: string | undefined) => change(text ?? '');

export function planSetup(context: StateContext, target: SetupTarget, choices: SetupChoices, codexProbe = probeCodex): SetupPlan {
  const planner = new Planner(context.root, target);
  const mcp = (path: string) => planner.edit(path, json((text) => withMcpServer(text, MCP_SERVER_NAME, mcpServerEntry())));
  if (target === 'claude') {
    planner.edit(CLAUDE.memory, (text) => ({ text: withImport(text) }));
    planner.edit(CLAUDE.settings, json((text) => withSessionHook(text, CLAUDE.hook)));
    if (choices.mcp) mcp(CLAUDE.mcp);
  } else if (target === 'codex') {
    if (codexHooks(choices.hooks, planner.notes, codexProbe)) planner.edit(CODEX.hooks, json((text) => withSessionHook(text, CODEX.hook)));
    else planner.agentsMdOnly = true;
  } else if (target === 'gemini') {
    planner.edit(GEMINI.settings, json((text) => withContextFile(text, AGENTS_MD, GEMINI.defaultContext)));
    planner.edit(GEMINI.settings, json((text) => withSessionHook(text, GEMINI.hook)));
    if (choices.mcp) mcp(GEMINI.settings);
  } else {
    planner.edit(CURSOR.rule, (text) =>
      text === undefined || text === CURSOR_RULE ? { text: CURSOR_RULE } : { text, note: 'edited by hand; left as it is' },
    );
    if (choices.mcp) mcp(CURSOR.mcp);
  }
  const plan = planner.plan();
  const changed = (path: string) => plan.changes.some((change) => change.path === path);
  if (changed(CLAUDE.mcp)) plan.notes.push('Claude Code asks once to approve the servers in .mcp.json');
  if (changed(CODEX.hooks)) plan.notes.push('Codex asks once to trust a new hook: open /hooks in Codex');
  if (target === 'gemini' && changed(GEMINI.settings)) plan.notes.push('Gemini CLI asks once before it runs a new project hook');
  return plan;
}

/** Whether to write Codex's session hook, saying why not when it is not written. */
function codexHooks(choice: boolean | undefined, notes: string[], probe: typeof probeCodex): boolean {
  if (choice !== undefined) return choice;
  const codex = probe();
  if (!codex.installed) {
    notes.push('codex is not on PATH, so no session hook was written (`agentstate setup codex --hooks` writes one anyway)');
    return false;
  }
  if (!codex.hooks) {
    notes.push('this Codex has no lifecycle hooks (`codex features list`), so no session hook was written');
    return false;
  }
  if (!codex.hooks.enabled) notes.push('hooks are turned off in this Codex: set `[features] hooks = true` in ~/.codex/config.toml');
  return true;
}

/** Ask the installed Codex whether it has lifecycle hooks. */
export function probeCodex(): { installed: boolean; hooks?: { stage: string; enabled: boolean } } {
  const result = spawnSync('codex', ['features', 'list'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] });
  if (result.error) return { installed: false };
  const hooks = result.status === 0 ? codexHooksFeature(result.stdout) : undefined;
  return hooks ? { installed: true, hooks } : { installed: true };
}

/** Write every planned file; if one fails, put back those already written. */
export function writePlan(root: string, plan: SetupPlan): void {
  const written: SetupPlan['changes'] = [];
  try {
    for (const change of plan.changes) {
      const path = join(root, change.path);
      refuseSymlinkedDirs(root, path);
      mkdirSync(dirname(path), { recursive: true });
      writeFileAtomic(path, change.after);
      written.push(change);
    }
  } catch (error) {
    for (const change of written.reverse()) {
      const path = join(root, change.path);
      if (change.before === undefined) rmSync(path, { force: true });
      else writeFileAtomic(path, change.before);
    }
    throw error;
  }
}

/** The agents read the AGENTS.md block: true when it is missing (set-up then regenerates it). */
export function bootBlockMissing(context: StateContext): boolean {
  const path = join(context.root, AGENTS_MD);
  return !existsSync(path) || !findBlock(readFileSync(path, 'utf8'));
}
