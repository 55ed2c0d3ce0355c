/**
 * Claude Code boots from CLAUDE.md and ignores AGENTS.md when a CLAUDE.md exists, so CLAUDE.md
 * imports it; a SessionStart hook prints the resume briefing into the new session.
 */
export const IMPORT_LINE = '@AGENTS.md';
export const RESUME_HOOK = 'agentstate resume --budget 500';

/** CLAUDE.md with the import line present exactly once; unchanged when it already is. */
export function withImport(existing: string | undefined): string {
  if (existing === undefined || existing === '') return `${IMPORT_LINE}\n`;
  if (existing.split(/\r?\n/).some((line) => line.trim() === IMPORT_LINE)) return existing;
  return `${existing}${existing.endsWith('\n') ? '' : '\n'}\n${IMPORT_LINE}\n`;
}

type Json = Record<string, unknown>;
const isMap = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Settings with our SessionStart hook added once; every other key is kept. Throws on a shape it cannot extend. */
export function withSessionHook(settings: Json): Json {
  const hooks = settings.hooks ?? {};
  if (!isMap(hooks)) throw new Error('"hooks" is not an object');
  const sessionStart = hooks.SessionStart ?? [];
  if (!Array.isArray(sessionStart)) throw new Error('"hooks.SessionStart" is not a list');
  const present = sessionStart.some(
    (entry) => isMap(entry) && Array.isArray(entry.hooks) && entry.hooks.some((hook) => isMap(hook) && typeof hook.command === 'string' && hook.command.includes('agentstate resume')),
  );
  if (present) return settings;
  return { ...settings, hooks: { ...hooks, SessionStart: [...sessionStart, { hooks: [{ type: 'command', command: RESUME_HOOK }] }] } };
}
