import { mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, stateRepo, tempDir } from '../helpers/cli.js';

describe('the code cache', () => {
  it("keeps another Node version's cache (two Node versions side by side) and drops a week-old one", () => {
    const dir = stateRepo();
    const home = tempDir();
    const caches = join(home, 'agentstate');
    mkdirSync(caches, { recursive: true });
    const otherNode = 'v99.0.0-1234.abcdefabcdef-log.v8cache';
    const stale = 'v98.0.0-1234.abcdefabcdef-log.v8cache';
    writeFileSync(join(caches, otherNode), 'cached code of another Node version');
    writeFileSync(join(caches, stale), 'not used for a week');
    const weekAgo = new Date(Date.now() - 8 * 24 * 3600 * 1000);
    utimesSync(join(caches, stale), weekAgo, weekAgo);
    const run = cli(dir, ['log', 'writes a cache of its own'], { XDG_CACHE_HOME: home });
    expect(run.code, run.stderr).toBe(0);
    const names = readdirSync(caches);
    expect(names.some((name) => name.startsWith(process.version) && name.endsWith('-log.v8cache'))).toBe(true);
    expect(names).toContain(otherNode);
    expect(names).not.toContain(stale);
  });
});
