import type { CommandRun } from '../command.js';
import { serve } from '../mcp/server.js';

/**
 * `agentstate mcp`: a Model Context Protocol server over stdio, until the client closes stdin.
 * Bundled with the MCP SDK in dist/mcp.cjs, which only this command loads (src/chunk.ts).
 */
export const run: CommandRun = async ({ globals }) => {
  await serve(globals);
  return { data: {} };
};
