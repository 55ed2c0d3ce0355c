import { spawnSync } from 'node:child_process';
import { ObjectStore } from './objects.js';
import { cleanGitEnv } from './run.js';
import type { Repo } from './repo.js';

/** Add files (path -> bytes) to an index, the real one or a hook's own (GIT_INDEX_FILE). */
export function stageBlobs(repo: Repo, files: Map<string, Buffer>, indexFile?: string): void {
  const store = new ObjectStore(repo);
  const input = [...files].map(([path, bytes]) => `100644 ${store.write('blob', bytes)}\t${path}\n`).join('');
  const env = cleanGitEnv();
  if (indexFile) env.GIT_INDEX_FILE = indexFile;
  const result = spawnSync('git', ['-c', 'core.hooksPath=/dev/null', 'update-index', '--add', '--index-info'], { cwd: repo.root, env, input, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`git update-index failed: ${result.stderr.trim()}`);
}
