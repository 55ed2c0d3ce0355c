import type { CommandOutput } from '../command.js';
import { redactSecrets } from '../core/guards.js';
import { AgentstateError, errnoError, Exit } from '../errors.js';
import type { Style } from '../output.js';

/** What a tool call answers: MCP's CallToolResult, in the CLI's words. */
export interface ToolResult {
  [key: string]: unknown;
  content: Array<{ type: 'text'; text: string }>;
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

/** A command's answer: its human text and notes (resume, search), else exactly what `--json` prints; plus its warnings. */
export function commandResult(output: CommandOutput, asText: boolean, style: Style): ToolResult {
  const notes = [...new Set(output.warnings ?? [])].map((warning) => `agentstate: warning: ${warning}`);
  if (asText) notes.push(...(output.notes ?? []).map((note) => `agentstate: ${note}`));
  const body = asText && output.human ? output.human(style) : JSON.stringify(output.data);
  return {
    content: [{ type: 'text', text: [body, ...notes].join('\n') }],
    ...(output.exitCode ? { isError: true } : {}),
  };
}

/**
 * A failed call, with the lines the CLI prints on stderr and the document `--json` prints, so an
 * agent reads the same message whichever way it called. Nothing was written (the command
 * validates before it writes).
 */
export function errorResult(raw: unknown): ToolResult {
  const error = raw instanceof AgentstateError ? raw : (errnoError(raw) ?? raw); // a failure of the file system is not a bug
  if (error instanceof AgentstateError) {
    // As the CLI: a secret pasted where an id or option was expected is not printed back.
    const message = redactSecrets(error.message);
    const hint = error.hint ? redactSecrets(error.hint) : undefined;
    const text = `agentstate: ${message}${hint ? `\n  hint: ${hint}` : ''}`;
    return { content: [{ type: 'text', text }], structuredContent: { error: { code: error.exitCode, message, hint: hint ?? null } }, isError: true };
  }
  const message = redactSecrets(error instanceof Error ? error.message : String(error));
  const text = `agentstate: unexpected error: ${message}\n  this is a bug; rerun with AGENTSTATE_DEBUG=1 for a stack trace and please report it`;
  if (process.env.AGENTSTATE_DEBUG === '1' && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  return { content: [{ type: 'text', text }], structuredContent: { error: { code: Exit.failure, message, hint: null } }, isError: true };
}
