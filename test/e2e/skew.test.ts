import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { baseEnv, cli, git, json, read, stateRepo, tempDir } from '../helpers/cli.js';

/**
 * Two built versions side by side: this tree (schema 1) and a copy of it with the schema number
 * and the version bumped (schema 2, 9.0.0), bundled into its own folder, as a clone that upgraded
 * agentstate would run it. The two bundles have the same size, so these tests also hold the V8
 * code cache to telling builds apart by content (src/launch.ts): keyed by size alone, one build
 * ran the other's compiled code.
 */
const ROOT = resolve(import.meta.dirname, '../..');
let newer: string;

function buildNewer(): string {
  const dir = tempDir('agentstate-newer-');
  for (const part of ['src', 'scripts', 'bin', 'package.json', 'tsconfig.json']) cpSync(join(ROOT, part), join(dir, part), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  mkdirSync(join(dir, 'dist'));
  cpSync(join(ROOT, 'dist/launch.js'), join(dir, 'dist/launch.js'));
  const schemas = join(dir, 'src/core/schemas.ts');
  writeFileSync(schemas, readFileSync(schemas, 'utf8').replace('export const SCHEMA_VERSION = 1;', 'export const SCHEMA_VERSION = 2;'));
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string };
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ ...manifest, version: '9.0.0' }, null, 2));
  const built = spawnSync(process.execPath, ['scripts/bundle.mjs'], { cwd: dir, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`building the newer copy failed: ${built.stderr}`);
  expect(readFileSync(join(dir, 'dist/agentstate.cjs'), 'utf8')).not.toBe(readFileSync(join(ROOT, 'dist/agentstate.cjs'), 'utf8'));
  return join(dir, 'bin/agentstate.js');
}

const runNewer = (cwd: string, args: string[]) => {
  const result = spawnSync(process.execPath, [newer, ...args], { cwd, env: baseEnv(), encoding: 'utf8' });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
};

/** Every state file's bytes, AGENTS.md and HEAD: what "nothing was written" must leave as it was. */
function snapshot(dir: string): string {
  const state = join(dir, '.agentstate');
  const files = readdirSync(state).filter((name) => name.includes('.'));
  return JSON.stringify([git(dir, 'rev-parse', 'HEAD'), read(dir, 'AGENTS.md'), ...files.map((name) => [name, read(dir, `.agentstate/${name}`)])]);
}

describe('version skew between clones (two built versions)', () => {
  beforeAll(() => {
    newer = buildNewer();
  });

  it('after a newer agentstate migrated the state, an older one reads it but refuses every write: exit 1, "upgrade agentstate to >= 9.0.0", nothing written', () => {
    const dir = stateRepo();
    const event = cli(dir, ['log', 'written by the older one']).stdout.trim();
    expect(cli(dir, ['backlog', 'add', 'a task']).code).toBe(0);
    expect(cli(dir, ['state', 'set', 'phase=build']).code).toBe(0);

    const migrated = runNewer(dir, ['migrate', '--json']);
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(read(dir, '.agentstate/config.yaml')).toMatch(/^schema: 2\nmin_writer: "9\.0\.0"/m);
    for (const file of ['events.yaml', 'decisions.yaml', 'backlog.yaml']) expect(read(dir, `.agentstate/${file}`)).toMatch(/^schema: 2$/m);
    expect(JSON.parse(read(dir, '.agentstate/runtime.json')).schema).toBe(2);
    expect(runNewer(dir, ['log', 'written by the newer one']).code).toBe(0); // the newer one reads the older files and writes on

    const before = snapshot(dir);
    for (const args of [['log', 'refused'], ['backlog', 'add', 'refused'], ['state', 'set', 'phase=test'], ['heartbeat'], ['decide', 'refused', '--why', 'skew']]) {
      const run = cli(dir, [...args, '--json']);
      expect(run.code, args.join(' ')).toBe(1);
      expect(json<{ error: { message: string } }>(run).error.message).toMatch(/needs agentstate >= 9\.0\.0 to write it .*this is 0\.\d+\.\d+; upgrade agentstate to >= 9\.0\.0$/);
      expect(snapshot(dir)).toBe(before);
    }
    const events = cli(dir, ['events', '--json']);
    expect(events.code).toBe(0);
    expect(events.stdout).toContain(event);
    expect(cli(dir, ['backlog', 'list']).stdout).toContain('a task');
    expect(cli(dir, ['resume']).code).toBe(0);
    const doctor = cli(dir, ['doctor']);
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toMatch(/FAIL schema versions: version skew: .*needs agentstate >= 9\.0\.0 .*upgrade agentstate to >= 9\.0\.0/);
    expect(cli(dir, ['migrate']).code).toBe(1); // and it never migrates back down
    expect(snapshot(dir)).toBe(before);
  });

  it('a file a newer agentstate rewrote is refused file by file: its fields are never dropped, the files it did not touch stay writable', () => {
    const dir = stateRepo();
    expect(runNewer(dir, ['backlog', 'add', 'newer task']).code).toBe(0);
    expect(read(dir, '.agentstate/backlog.yaml')).toMatch(/^schema: 2$/m);
    const backlog = read(dir, '.agentstate/backlog.yaml');
    const refused = cli(dir, ['backlog', 'add', 'older task']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/\.agentstate\/backlog\.yaml has schema 2, newer than this agentstate \(0\.\d+\.\d+, schema 1\) knows: it reads it but will not write it; upgrade agentstate to >= a version that writes schema 2/);
    expect(read(dir, '.agentstate/backlog.yaml')).toBe(backlog);
    expect(cli(dir, ['log', 'events.yaml is still schema 1']).code).toBe(0);
    expect(read(dir, '.agentstate/backlog.yaml')).toBe(backlog);
    expect(cli(dir, ['doctor']).stdout).toMatch(/FAIL schema versions: version skew: \.agentstate\/backlog\.yaml has schema 2 \(this agentstate knows 1\)/);
  });
});
