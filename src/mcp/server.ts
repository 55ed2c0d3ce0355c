import { McpServer, fromJsonSchema } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandRun } from '../command.js';
import { styleFor } from '../output.js';
import { openContext, type GlobalOptions } from '../store/context.js';
import { FILES } from '../store/layout.js';
import { packageRoot } from '../package-root.js';
import { ProjectResolver } from './project.js';
import { commandResult, errorResult, type ToolResult } from './results.js';
import { TOOLS, type ToolSpec } from './tools.js';

const INSTRUCTIONS =
  "agentstate keeps this project's decisions, tasks, events and runtime state as files in git. " +
  'Call resume first; decide before you act, outcome when done; handoff before the session ends.';

/** The state files offered read-only as resources, with their media types. */
const STATE_FILES: Array<[string, string]> = [
  [FILES.config, 'application/yaml'],
  [FILES.events, 'application/yaml'],
  [FILES.decisions, 'application/yaml'],
  [FILES.decisionsIndex, 'application/yaml'],
  [FILES.backlog, 'application/yaml'],
  [FILES.runtime, 'application/json'],
  [FILES.catches, 'text/tab-separated-values'],
  [FILES.learnings, 'application/yaml'],
];

/**
 * `agentstate mcp`: serve the tools and resources over stdio until the client closes stdin.
 * Calls run one at a time (each takes the state lock anyway), in the order they arrive.
 */
export async function serve(globals: GlobalOptions): Promise<void> {
  // Answers are built from each command's data and text, so output-mode flags do not apply.
  const project = new ProjectResolver({ ...globals, json: false, quiet: false });
  const style = await styleFor({ color: false });
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(task: () => Promise<T>): Promise<T> => {
    const next = queue.then(task, task);
    queue = next.catch(() => undefined);
    return next;
  };

  const call = (spec: ToolSpec, input: Record<string, unknown>) =>
    serial(async (): Promise<ToolResult> => {
      try {
        const { load, args, options } = spec.toCli(input);
        const run = (await load()) as CommandRun;
        return commandResult(await run({ args, options: defined(options), globals: await project.options() }), spec.text === true, style);
      } catch (error) {
        return errorResult(error, input);
      }
    });

  const build = () => {
    const server = new McpServer({ name: 'agentstate', version: ownVersion() }, { instructions: INSTRUCTIONS });
    for (const spec of TOOLS) {
      server.registerTool(
        spec.name,
        { description: spec.description, inputSchema: fromJsonSchema(spec.inputSchema), ...(spec.readOnly ? { annotations: { readOnlyHint: true } } : {}) },
        (input: unknown) => call(spec, (input ?? {}) as Record<string, unknown>),
      );
    }
    server.registerResource(
      'resume',
      'agentstate://resume',
      { description: 'The boot briefing (agentstate resume)', mimeType: 'text/markdown' },
      async (uri: URL) => {
        const result = await call(TOOLS.find((spec) => spec.name === 'resume')!, {});
        if (result.isError) throw new Error(result.content[0]?.text);
        return { contents: [{ uri: uri.href, mimeType: 'text/markdown', text: result.content[0]?.text ?? '' }] };
      },
    );
    for (const [file, mimeType] of STATE_FILES) {
      server.registerResource(file, `agentstate://state/${file}`, { description: `.agentstate/${file}, read-only`, mimeType }, async (uri: URL) => {
        const context = await openContext(await project.options());
        return { contents: [{ uri: uri.href, mimeType, text: readFileSync(context.path(file), 'utf8') }] };
      });
    }
    server.server.oninitialized = () => project.refresh(server.server);
    server.server.setNotificationHandler('notifications/roots/list_changed', () => project.refresh(server.server));
    return server;
  };

  await new Promise<void>((resolve) => {
    const handle = serveStdio(build, { onerror: (error: Error) => process.stderr.write(`agentstate mcp: ${error.message}\n`) });
    process.stdin.once('end', () => void handle.close().then(resolve, resolve));
    process.stdin.once('close', () => void handle.close().then(resolve, resolve));
  });
}

/** Options as commander would hand them: an option not given is absent, not undefined. */
function defined(options: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}

function ownVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}
