import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { readGitSettings } from '../git/config-file.js';
import { commitIdentity } from '../git/identity.js';
import type { Repo } from '../git/repo.js';
import { packageRoot } from '../package-root.js';
import { ensureLocalDir } from './local.js';
import type { StateContext } from './context.js';

/** The environment of sync's `git merge` / `git rebase`: drivers that can run, an identity that git accepts. */
export function mergeEnvironment(context: StateContext, repo: Repo): Record<string, string> {
  return { ...fallbackIdentity(repo), PATH: pathWithSelf(context) };
}

/**
 * The merge drivers run `agentstate` as the launcher resolves it (the project's node_modules/.bin,
 * then PATH). For this merge only, this very agentstate comes last on PATH, so the drivers run
 * even where agentstate is not installed on PATH (run through node or npx); an installed one
 * still wins. Nothing is written into git's config.
 */
function pathWithSelf(context: StateContext): string {
  const dir = join(ensureLocalDir(context), 'launcher');
  const shim = join(dir, 'agentstate');
  const script = `#!/bin/sh\nexec '${process.execPath.replace(/'/g, `'\\''`)}' '${join(packageRoot(), 'bin', 'agentstate.js').replace(/'/g, `'\\''`)}' "$@"\n`;
  mkdirSync(dir, { recursive: true });
  if (!existsSync(shim) || readFileSync(shim, 'utf8') !== script) writeFileSync(shim, script, { mode: 0o755 });
  return [process.env.PATH ?? '', dir].filter(Boolean).join(delimiter);
}

/** Git refuses to merge without an identity; on a bare machine the merge commit gets the one our commits use. */
function fallbackIdentity(repo: Repo): Record<string, string> | undefined {
  const identity = commitIdentity(repo, readGitSettings(repo));
  if (!identity.fallback) return undefined;
  const [, name = 'agentstate', email = 'agentstate@localhost'] = /^(.*) <(.*)> /.exec(identity.committer) ?? [];
  return { GIT_AUTHOR_NAME: name, GIT_AUTHOR_EMAIL: email, GIT_COMMITTER_NAME: name, GIT_COMMITTER_EMAIL: email };
}
