import { createRequire } from 'node:module';
import type { CommandRun } from './command.js';

/**
 * A command bundled in a file of its own (scripts/bundle.mjs), because it carries a library no
 * other command may pay to read: `setup` (jsonc-parser) and `mcp` (the MCP SDK). From the CLI
 * bundle this runs as dist/agentstate.cjs, from the tsc build as dist/chunk.js: both sit next to
 * the chunk files.
 */
export function loadChunk(name: 'setup' | 'mcp'): { run: CommandRun<never> } {
  return createRequire(import.meta.url)(`./${name}.cjs`) as { run: CommandRun<never> };
}
