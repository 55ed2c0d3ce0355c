import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { git, gitRepo, tempDir } from '../helpers/cli.js';
import { installGlobal, packedTarball, pathWithout, run } from '../helpers/package.js';

const ROOT = resolve(import.meta.dirname, '../..');
/** One --ignore-scripts install for the tests that only use it. */
let shared: string | undefined;
const sharedBin = () => (shared ??= installGlobal(tempDir('prefix-'), { ignoreScripts: true }).bin);

const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string; files: string[] };

/** init, log, resume in a new repository with only the installed `agentstate` on PATH. */
function useInstalled(bin: string): void {
  const dir = gitRepo();
  const env = { PATH: pathWithout(bin) };
  expect(run(dir, 'sh', ['-c', 'command -v agentstate'], env).stdout.trim()).toBe(join(bin, 'agentstate'));
  const init = run(dir, 'agentstate', ['init'], env);
  expect(init.code, init.stderr).toBe(0);
  const log = run(dir, 'agentstate', ['log', 'installed from the tarball'], env);
  expect(log.code, log.stderr).toBe(0);
  expect(log.stdout.trim()).toMatch(/^ev-[0-9a-z]+$/);
  const resume = run(dir, 'agentstate', ['resume'], env);
  expect(resume.code, resume.stderr).toBe(0);
  expect(resume.stdout).toContain('installed from the tarball');
  expect(git(dir, 'log', '--format=%s').split('\n').filter((line) => line.startsWith('agentstate: '))).toHaveLength(2);
}

describe('the npm package', () => {
  it('is agentstate-cli with the bin agentstate, a license, a repository, and no install script', () => {
    expect(manifest.name).toBe('agentstate-cli');
    const listing = run(ROOT, 'tar', ['-tzf', packedTarball()]).stdout.split('\n').filter(Boolean);
    expect(listing).toContain('package/bin/agentstate.js');
    expect(listing).toContain('package/dist/agentstate.cjs');
    expect(listing).toContain('package/dist/launch.cjs');
    expect(listing).toContain('package/bin/package.json'); // the bin is CommonJS in a "type": "module" package
    expect(listing).toContain('package/LICENSE');
    expect(listing.filter((path) => /^package\/(src|test|bench|scripts|examples)\//.test(path))).toEqual([]);
    const packed = JSON.parse(run(ROOT, 'tar', ['-xzOf', packedTarball(), 'package/package.json']).stdout) as Record<string, unknown>;
    expect(packed.bin).toEqual({ agentstate: 'bin/agentstate.js' });
    expect(packed.license).toBe('MIT');
    expect(packed.repository).toBeTruthy();
    const scripts = (packed.scripts ?? {}) as Record<string, string>;
    for (const hook of ['preinstall', 'install', 'postinstall', 'prepare']) expect(scripts[hook], hook).toBeUndefined();
    expect(scripts.prepack).toMatch(/build/);
    for (const entry of manifest.files) expect(listing.some((path) => path.startsWith(`package/${entry}`)), `files: ${entry}`).toBe(true);
  });

  it.each([
    ['npm i -g', false],
    ['npm i -g --ignore-scripts', true],
  ])('%s of the packed tarball into a fresh prefix: init, log and resume work', (_, ignoreScripts) => {
    const prefix = tempDir('prefix-');
    const { bin, output } = installGlobal(prefix, { ignoreScripts });
    expect(output).not.toMatch(/install-scripts|allowScripts/);
    useInstalled(bin);
  });

  it('--version is agentstate-cli\'s own version, also under another project\'s `npm run`', () => {
    const bin = sharedBin();
    const project = tempDir('project-');
    const env = { PATH: pathWithout(bin), npm_package_version: '9.9.9', npm_package_name: 'someone-else' };
    const version = run(project, 'agentstate', ['--version'], env);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe(manifest.version);
  });
});

describe('the CI recipe in the README', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  /** The shell commands of a README code block that follows `marker`. */
  const commandsAfter = (marker: string): string[] => {
    const block = readme.slice(readme.indexOf(marker)).split('```')[1]!;
    return [...block.matchAll(/^\s*(?:- run:|-) (npm i -g agentstate-cli|agentstate .+)$/gm)].map((match) => match[1]!.replace(/\s+#.*$/, ''));
  };

  it.each([['GitHub Actions'], ['GitLab CI']])('%s: its commands catch a rewrite in a fresh full clone and pass a clean one', (name) => {
    const commands = commandsAfter(`${name} (`);
    expect(commands[0]).toBe('npm i -g agentstate-cli');
    expect(commands.slice(1)).toEqual(['agentstate check']);
    // The published name is not reachable from a test: the same install, of the packed tarball.
    const bin = sharedBin();
    const env = { PATH: pathWithout(bin) };
    const origin = gitRepo();
    expect(run(origin, 'agentstate', ['init'], env).code).toBe(0);
    run(origin, 'agentstate', ['log', 'first'], env);
    run(origin, 'agentstate', ['log', 'second'], env);
    const ciRun = () => {
      const clone = tempDir('ci-');
      git(clone, 'clone', '-q', '--no-local', origin, '.');
      return spawnSync('sh', ['-c', commands.slice(1).join(' && ')], { cwd: clone, env: { ...process.env, PATH: env.PATH }, encoding: 'utf8' });
    };
    const clean = ciRun();
    expect(clean.status, clean.stdout + clean.stderr).toBe(0);
    const events = join(origin, '.agentstate/events.yaml');
    writeFileSync(events, readFileSync(events, 'utf8').replace('"summary":"first"', '"summary":"rewritten"'));
    git(origin, 'commit', '-q', '--no-verify', '-am', 'rewrite history');
    run(origin, 'agentstate', ['log', 'third'], env);
    const caught = ciRun();
    expect(caught.status).toBe(1);
    expect(caught.stdout).toMatch(/events\.yaml: commit [0-9a-f]{7} changed record ev-\w+ \(append-only\)/);
  });
});
