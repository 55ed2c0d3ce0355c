import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { baseEnv, tempDir } from './cli.js';

/**
 * The package as users get it: `npm pack` of this checkout (dist/ is built by `npm test` first;
 * packing with --ignore-scripts keeps prepack from rebuilding it under running tests), installed
 * with npm into a fresh prefix or project. Dependencies come from the npm cache when they are there.
 */
const ROOT = resolve(import.meta.dirname, '../..');
let tarball: string | undefined;

export function run(cwd: string, command: string, args: string[], env: Record<string, string | undefined> = {}) {
  const result = spawnSync(command, args, { cwd, env: baseEnv(env), encoding: 'utf8' });
  return { code: result.status ?? -1, stdout: result.stdout ?? '', stderr: result.stderr ?? '', error: result.error };
}

function must(cwd: string, command: string, args: string[], env: Record<string, string | undefined> = {}): string {
  const result = run(cwd, command, args, env);
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.code}): ${result.stderr}${result.stdout}`);
  return result.stdout;
}

export function packedTarball(): string {
  if (tarball) return tarball;
  const dir = tempDir('pack-');
  must(ROOT, 'npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir]);
  const name = readdirSync(dir).find((file) => /^agentstate-cli-.+\.tgz$/.test(file));
  if (!name) throw new Error(`npm pack wrote no agentstate-cli tarball in ${dir}`);
  tarball = join(dir, name);
  return tarball;
}

const NPM_QUIET = ['--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];

/** `npm i -g --prefix <prefix> <tarball>`; returns the prefix's bin folder. */
export function installGlobal(prefix: string, options: { ignoreScripts?: boolean } = {}): { bin: string; output: string } {
  const output = must(prefix, 'npm', ['i', '-g', '--prefix', prefix, packedTarball(), ...NPM_QUIET, ...(options.ignoreScripts ? ['--ignore-scripts'] : [])]);
  return { bin: join(prefix, 'bin'), output };
}

/** `npm i -D <tarball>` in a project (a package.json is written when missing). */
export function installInProject(project: string): void {
  must(project, 'npm', ['init', '-y'], {});
  must(project, 'npm', ['i', '-D', packedTarball(), ...NPM_QUIET]);
}

/** PATH with no `agentstate` on it (not the test suite's, test/helpers/setup-path.ts, nor any other): only `extra` may bring one. */
export function pathWithout(...extra: string[]): string {
  const rest = (process.env.PATH ?? '').split(delimiter).filter((dir) => dir !== '' && !existsSync(join(dir, 'agentstate')));
  return [...extra, ...rest].join(delimiter);
}

/** A folder holding a `node` of its own (a hard link, else a copy), as nvm would put one. */
export function nodeDir(): string {
  const dir = tempDir('node-');
  try {
    linkSync(process.execPath, join(dir, 'node'));
  } catch {
    copyFileSync(process.execPath, join(dir, 'node'));
  }
  return dir;
}


/**
 * A tool from npm for a test (lefthook), installed once per machine into a cache under the temp
 * folder, without its install script (lefthook's would run `lefthook install` in the folder npm
 * was started from). Returns the folder of its bin links, for PATH.
 */
export function npmTool(spec: string): string {
  const dir = join(tmpdir(), 'agentstate-test-tools', spec.replace(/[^A-Za-z0-9.@-]/g, '_'));
  const bin = join(dir, 'node_modules', '.bin');
  if (existsSync(join(dir, 'installed'))) return bin;
  const staging = `${dir}.${process.pid}`;
  mkdirSync(staging, { recursive: true });
  must(staging, 'npm', ['i', '--prefix', staging, '--ignore-scripts', spec, ...NPM_QUIET]);
  writeFileSync(join(staging, 'installed'), `${spec}\n`);
  try {
    renameSync(staging, dir);
  } catch {
    rmSync(staging, { recursive: true, force: true }); // another test process put it there first
  }
  return bin;
}
