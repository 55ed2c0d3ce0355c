import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

/**
 * Start the bundled CLI (dist/agentstate.cjs) with a V8 code cache per command, kept in the
 * user's cache directory. A missing, stale or rejected cache only costs the compile it would
 * have saved; AGENTSTATE_NO_CACHE=1 turns it off.
 */
export function launch(argv: string[]): void {
  const file = join(dirname(fileURLToPath(import.meta.url)), 'agentstate.cjs');
  const source = readFileSync(file, 'utf8');
  const cacheFile = cachePath(argv, source);
  let cachedData: Buffer | undefined;
  if (cacheFile) {
    try {
      cachedData = readFileSync(cacheFile);
    } catch {
      /* first run of this command */
    }
  }
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, ...(cachedData ? { cachedData } : {}) });
  const module = { exports: {} as { main(argv: string[]): Promise<void> } };
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file));
  if (cacheFile && (!cachedData || script.cachedDataRejected)) {
    process.once('exit', () => saveCache(cacheFile, script));
  }
  void module.exports.main(argv);
}

/**
 * The bundle's content hash, written into this file when the bundle is built (scripts/bundle.mjs).
 * Hashing the 600 KB bundle here instead cost each command 1 ms, plus loading node:crypto, which
 * commands that read only do not need otherwise (3 ms of CPU on Node 22, measured).
 */
declare const __AGENTSTATE_BUILD__: string | undefined;

/**
 * One cache per command (each compiles different code), named by the bundle's size and its hash:
 * V8 checks only the source's length before using cached code, so two builds of one size (a
 * one-digit change) would run each other's code. Unbundled (dist/launch.js), there is no cache.
 */
function cachePath(argv: string[], source: string): string | undefined {
  if (process.env.AGENTSTATE_NO_CACHE || typeof __AGENTSTATE_BUILD__ !== 'string') return undefined;
  const base = process.env.XDG_CACHE_HOME || (process.env.HOME ? join(process.env.HOME, '.cache') : safeHome());
  if (!base) return undefined;
  const args = argv.slice(2);
  const command = args.find((arg, i) => /^[a-z][a-z-]{0,20}$/.test(arg) && args[i - 1] !== '--dir' && args[i - 1] !== '--agent') ?? 'none';
  const build = `${source.length}.${__AGENTSTATE_BUILD__}`;
  return join(base, 'agentstate', `${process.version}-${build}-${command}.v8cache`);
}

function safeHome(): string | undefined {
  try {
    return join(homedir(), '.cache');
  } catch {
    return undefined;
  }
}

/**
 * Write the cache, and drop old ones: those not written for a week, and all but the newest few
 * builds (a build: one Node version and one bundle). Several are kept, not only this one: two Node
 * versions side by side (nvm, a bench on Node 20 and 22) or two projects that pin different
 * versions would otherwise delete each other's cache on every run and always compile.
 */
function saveCache(path: string, script: Script): void {
  try {
    const dir = dirname(path);
    mkdirSync(dir, { recursive: true });
    const temp = `${path}.${process.pid}.tmp`;
    writeFileSync(temp, script.createCachedData());
    renameSync(temp, path);
    pruneCaches(dir, Date.now());
  } catch {
    /* a cache is an optimisation only */
  }
}

const KEEP_BUILDS = 6;
const KEEP_MS = 7 * 24 * 3600 * 1000;

function pruneCaches(dir: string, now: number): void {
  const builds = new Map<string, { newest: number; files: Array<{ path: string; mtime: number }> }>();
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.v8cache')) continue;
    const path = join(dir, name);
    const mtime = statSync(path).mtimeMs;
    const build = name.split('-').slice(0, 2).join('-');
    const entry = builds.get(build) ?? { newest: 0, files: [] };
    entry.newest = Math.max(entry.newest, mtime);
    entry.files.push({ path, mtime });
    builds.set(build, entry);
  }
  const ranked = [...builds.values()].sort((a, b) => b.newest - a.newest);
  ranked.forEach((build, rank) => {
    for (const file of build.files) if (rank >= KEEP_BUILDS || now - file.mtime > KEEP_MS) rmSync(file.path, { force: true });
  });
}
