import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GlobalOptions } from '../store/context.js';
import { STATE_DIR } from '../store/layout.js';

/** The slice of the SDK's low-level Server this needs. */
export interface RootsSource {
  getClientCapabilities(): { roots?: unknown } | undefined;
  listRoots(params?: undefined, options?: { timeout?: number }): Promise<{ roots: Array<{ uri: string }> }>;
}

const ROOTS_TIMEOUT_MS = 2000;

/**
 * Which project the tools act on: `--dir` (or AGENTSTATE_DIR) when given; else the client's MCP
 * roots (the first with a `.agentstate/` directory, else the first); else the server's working
 * directory, as the CLI would find it.
 */
export class ProjectResolver {
  private fromRoots: string | undefined;
  private pending: Promise<void> = Promise.resolve();

  constructor(private readonly globals: GlobalOptions) {}

  private get explicit(): boolean {
    return Boolean(this.globals.dir ?? process.env.AGENTSTATE_DIR);
  }

  /** Ask the client for its roots (after initialize, and again when it says they changed). */
  refresh(source: RootsSource): void {
    if (this.explicit || !source.getClientCapabilities()?.roots) return;
    this.pending = source
      .listRoots(undefined, { timeout: ROOTS_TIMEOUT_MS })
      .then(({ roots }) => {
        const dirs = roots.filter((root) => root.uri.startsWith('file:')).map((root) => fileURLToPath(root.uri));
        this.fromRoots = dirs.find((dir) => existsSync(join(dir, STATE_DIR))) ?? dirs[0];
      })
      .catch(() => {
        // A client that declares roots but cannot list them: the working directory it is.
      });
  }

  /** The global options a command gets, with the project directory resolved. */
  async options(): Promise<GlobalOptions> {
    await this.pending;
    return this.fromRoots && !this.explicit ? { ...this.globals, dir: this.fromRoots } : this.globals;
  }
}
