/**
 * The briefing as a SessionStart hook's JSON answer. Gemini CLI reads a hook's stdout only as
 * JSON (plain text becomes a message to the user, not context for the model); Claude Code and
 * Codex accept the same shape.
 */
export function sessionStartOutput(briefing: string): string {
  return JSON.stringify({ hookSpecificOutput: { hookEventName: 'SessionStart', additionalContext: briefing } });
}
