import { JsonTextError, parseJsonText, removeJson, setJson } from './json-text.js';

/**
 * The edits `agentstate setup` makes to an agent tool's JSON settings, as text in, text out:
 * a SessionStart hook (Claude Code, Codex and Gemini CLI share the shape), Gemini's context file
 * names, an MCP server entry. Each leaves the text unchanged when it is already there, and throws
 * JsonTextError, naming the key, on a shape it cannot extend.
 */
export interface Edited {
  text: string;
  /** Why the file was left as it was, when that is worth saying. */
  note?: string;
}

type Json = Record<string, unknown>;
const isMap = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

export interface SessionHook {
  command: string;
  /** The sources it runs for (a regular expression for Claude Code and Codex); none: all. */
  matcher?: string;
  /** Other fields of the hook entry (Gemini CLI's `name`). */
  extra?: Json;
  /** Commands earlier versions of agentstate wrote: replaced by `command`. */
  legacy: string[];
}

function settingsOf(text: string): Json {
  const value = parseJsonText(text) ?? {};
  if (!isMap(value)) throw new JsonTextError('the file is not a JSON object');
  return value;
}

const runsResume = (command: string) => /\bagentstate\b/.test(command) && /\bresume\b/.test(command);

/** The SessionStart hook present once, in its current form; a hook the user wrote that runs resume is respected. */
export function withSessionHook(text: string, hook: SessionHook): Edited {
  const settings = settingsOf(text);
  const hooks = settings.hooks ?? {};
  if (!isMap(hooks)) throw new JsonTextError('"hooks" is not an object');
  const groups = hooks.SessionStart ?? [];
  if (!Array.isArray(groups)) throw new JsonTextError('"hooks.SessionStart" is not a list');
  const found: Array<{ i: number; j: number; size: number; command: string; current: boolean }> = [];
  for (const [i, group] of groups.entries()) {
    if (!isMap(group) || !Array.isArray(group.hooks)) throw new JsonTextError(`"hooks.SessionStart[${i}]" has no "hooks" list`);
    for (const [j, entry] of group.hooks.entries()) {
      const command = isMap(entry) && typeof entry.command === 'string' ? entry.command : '';
      if (runsResume(command)) found.push({ i, j, size: group.hooks.length, command, current: command === hook.command && group.matcher === hook.matcher });
    }
  }
  if (found.some((entry) => entry.current)) return { text };
  const own = found.find((entry) => entry.command !== hook.command && !hook.legacy.includes(entry.command));
  if (own) return { text, note: `a SessionStart hook already runs \`${own.command}\`; left as it is` };
  const ours = found.map(({ i, j, size }): [number, number, number] => [i, j, size]);
  let next = text;
  for (const [i, j, size] of ours.reverse()) next = removeJson(next, size === 1 ? ['hooks', 'SessionStart', i] : ['hooks', 'SessionStart', i, 'hooks', j]);
  const group = { ...(hook.matcher ? { matcher: hook.matcher } : {}), hooks: [{ type: 'command', command: hook.command, ...hook.extra }] };
  if (!isMap(settings.hooks)) return { text: setJson(next, ['hooks'], { SessionStart: [group] }) };
  if (!Array.isArray(hooks.SessionStart)) return { text: setJson(next, ['hooks', 'SessionStart'], [group]) };
  return { text: setJson(next, ['hooks', 'SessionStart', -1], group) };
}

/** Gemini CLI reads `context.fileName` (default GEMINI.md): add AGENTS.md, keep the others. */
export function withContextFile(text: string, file: string, fallback: string): Edited {
  const settings = settingsOf(text);
  const context = settings.context;
  if (context === undefined) return { text: setJson(text, ['context'], { fileName: [file, fallback] }) };
  if (!isMap(context)) throw new JsonTextError('"context" is not an object');
  const names = context.fileName;
  if (names === undefined) return { text: setJson(text, ['context', 'fileName'], [file, fallback]) };
  if (names === file || (Array.isArray(names) && names.includes(file))) return { text };
  if (typeof names === 'string') return { text: setJson(text, ['context', 'fileName'], [names, file]) };
  if (Array.isArray(names)) return { text: setJson(text, ['context', 'fileName', -1], file) };
  throw new JsonTextError('"context.fileName" is neither a string nor a list');
}

/** `mcpServers.<name>` registered; an entry of that name the user made is respected. */
export function withMcpServer(text: string, name: string, server: Json): Edited {
  const settings = settingsOf(text);
  const servers = settings.mcpServers;
  if (servers === undefined) return { text: setJson(text, ['mcpServers'], { [name]: server }) };
  if (!isMap(servers)) throw new JsonTextError('"mcpServers" is not an object');
  const existing = servers[name];
  if (existing === undefined) return { text: setJson(text, ['mcpServers', name], server) };
  if (JSON.stringify(existing) === JSON.stringify(server)) return { text };
  return { text, note: `an MCP server named "${name}" is already registered; left as it is` };
}
