// Many machines, one state, on this machine: one bare remote and N clones, each driven by its own
// agent process (bench/sync-agent.mjs) looping claim -> log -> decide/outcome -> done -> sync,
// all at once (after each clone claimed the same first task, so claims do collide). Afterwards every clone syncs until all agree, and a fresh clone is checked:
// every acknowledged record present exactly once, no conflict marker, `check` clean, every
// double claim detected and told to its loser, no task done by two agents without a recorded
// conflict. Used by `npm run bench` (6 clones x 20 rounds) and by test/e2e/sync-scale.test.ts
// (a small run).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const AGENT = join(here, 'sync-agent.mjs');

function baseEnv(extra = {}) {
  const env = { ...process.env, NO_COLOR: '1', ...extra };
  for (const key of Object.keys(env)) if (key.startsWith('GIT_') || key.startsWith('npm_')) delete env[key];
  delete env.AGENTSTATE_SYNC;
  return env;
}

function sh(cwd, command, args, env = baseEnv()) {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} in ${cwd}: ${result.stderr}`);
  return result.stdout;
}

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const taskId = (i) => `t-sc${String(i).padStart(4, '0')}${Array.from({ length: 4 }, (_, k) => ALPHABET[(i * 7 + k * 13) % 32]).join('')}`;

/** A clone of the remote acting as one machine. */
function cloneAs(origin, dir, name) {
  sh(dirname(dir), 'git', ['clone', '-q', origin, dir]);
  sh(dir, 'git', ['config', 'user.name', name]);
  sh(dir, 'git', ['config', 'user.email', `${name}@example.com`]);
  sh(dir, 'git', ['config', 'commit.gpgsign', 'false']);
}

/** The remote, with an initialised state and `tasks` open tasks (written in one go: the fixture, not what is measured). */
function seed(bin, root, tasks) {
  const origin = join(root, 'origin.git');
  sh(root, 'git', ['init', '-q', '--bare', '-b', 'main', origin]);
  const dir = join(root, 'seed');
  cloneAs(origin, dir, 'seed');
  sh(dir, 'git', ['checkout', '-q', '-b', 'main']);
  sh(dir, process.execPath, [bin, 'init']);
  const path = join(dir, '.agentstate/backlog.yaml');
  const created = new Date(Date.now() - 60_000);
  const lines = Array.from({ length: tasks }, (_, i) => {
    const at = new Date(created.getTime() + i).toISOString();
    return `- ${JSON.stringify({ id: taskId(i), title: `task ${i}`, status: 'open', priority: 'P2', version: 1, created: at, updated: at })}\n`;
  });
  writeFileSync(path, readFileSync(path, 'utf8').replace(/items:( \[\])?\n[\s\S]*$/, 'items:\n') + lines.join(''));
  sh(dir, 'git', ['commit', '-qam', `${tasks} tasks`]);
  sh(dir, process.execPath, [bin, 'boot'], baseEnv({ AGENTSTATE_AGENT: 'seed' }));
  sh(dir, 'git', ['push', '-q', '-u', 'origin', 'main']);
  return origin;
}

function runAgent(bin, dir, name, rounds) {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [AGENT, bin, dir, name, String(rounds)], { env: baseEnv() });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (err += chunk));
    child.on('close', (code) => {
      try {
        done(JSON.parse(out.trim().split('\n').pop()));
      } catch {
        fail(new Error(`agent ${name} exited ${code} without a summary: ${err}`));
      }
    });
  });
}

/** `sync --json` in a clone, outside the agent loop (the final rounds until every clone agrees). */
function syncOnce(bin, dir, summary) {
  const result = spawnSync(process.execPath, [bin, 'sync', '--json'], { cwd: dir, env: baseEnv({ AGENTSTATE_AGENT: summary.agent }), encoding: 'utf8' });
  summary.ops++;
  summary.syncs++;
  let data = {};
  try {
    data = JSON.parse(result.stdout);
  } catch {
    /* reported below */
  }
  summary.retries += data.retries ?? 0;
  for (const loss of data.lost ?? []) summary.lost.push({ task: loss.task, to: loss.to });
  if (result.status !== 0 && result.status !== 4) summary.sync_failures.push(result.stderr.trim().split('\n')[0]);
  return data.head;
}

function idsIn(dir, stem) {
  const files = [join(dir, '.agentstate', `${stem}.yaml`)];
  const archive = join(dir, '.agentstate/archive');
  if (existsSync(archive)) for (const name of readdirSync(archive)) if (name.startsWith(`${stem}.`) && name.endsWith('.yaml')) files.push(join(archive, name));
  return files.flatMap((file) => readFileSync(file, 'utf8').split('\n').flatMap((line) => /^- \{"id":"([^"]+)"/.exec(line)?.[1] ?? []));
}

function conflictMarkers(dir) {
  const found = [];
  const walk = (path) => {
    for (const name of readdirSync(path)) {
      if (name === '.git') continue;
      const full = join(path, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (/^(<<<<<<<|>>>>>>>|=======)( |$)/m.test(readFileSync(full, 'utf8'))) found.push(full);
    }
  };
  walk(dir);
  return found;
}

/**
 * Run the cluster; returns the figures and the problems found (none when everything holds).
 * `keep`: leave the folders for a look afterwards.
 */
export async function syncCluster({ bin, clones = 6, rounds = 20, keep = false } = {}) {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'agentstate-sync-cluster-')));
  const started = process.hrtime.bigint();
  try {
    const origin = seed(bin, root, clones * rounds + 10);
    const names = Array.from({ length: clones }, (_, i) => `agent-${i + 1}`);
    for (const name of names) cloneAs(origin, join(root, name), name);
    // Every clone first claims the same task before any of them syncs: at least one double claim for sure.
    const preclaimed = names.map((name) => JSON.parse(sh(join(root, name), process.execPath, [bin, 'backlog', 'next', '--claim', '--json'], baseEnv({ AGENTSTATE_AGENT: name }))).task.id);
    const summaries = await Promise.all(names.map((name) => runAgent(bin, join(root, name), name, rounds)));
    summaries.forEach((summary, i) => {
      summary.ops++;
      summary.claimed.unshift(preclaimed[i]);
    });
    const loopSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    // Every clone syncs until all of them and the remote agree (what came late reaches everyone).
    let agreed = false;
    for (let pass = 0; pass < 4 && !agreed; pass++) {
      const heads = names.map((name, i) => syncOnce(bin, join(root, name), summaries[i]));
      const remote = sh(origin, 'git', ['rev-parse', 'refs/heads/main']).trim();
      agreed = heads.every((head) => head === remote);
    }
    const final = join(root, 'final');
    cloneAs(origin, final, 'final');
    const result = verify(bin, final, summaries);
    result.figures = {
      clones,
      rounds,
      ops: summaries.reduce((sum, s) => sum + s.ops, 0),
      syncs: summaries.reduce((sum, s) => sum + s.syncs, 0),
      retries: summaries.reduce((sum, s) => sum + s.retries, 0),
      failed_syncs: summaries.reduce((sum, s) => sum + s.sync_failures.length, 0),
      ...result.figures,
      commits: Number(sh(origin, 'git', ['rev-list', '--count', 'main']).trim()),
      loop_seconds: Math.round(loopSeconds * 10) / 10,
      seconds: Math.round((Number(process.hrtime.bigint() - started) / 1e9) * 10) / 10,
    };
    if (!agreed) result.problems.push('the clones did not agree with the remote after 4 sync passes');
    return result;
  } finally {
    if (!keep) rmSync(root, { recursive: true, force: true });
  }
}

function verify(bin, dir, summaries) {
  const problems = [];
  const events = idsIn(dir, 'events');
  const decisions = idsIn(dir, 'decisions');
  const count = new Map();
  for (const id of [...events, ...decisions]) count.set(id, (count.get(id) ?? 0) + 1);
  const acked = summaries.flatMap((s) => s.acked);
  const missing = acked.filter((id) => !count.has(id));
  const duplicated = [...count].filter(([, n]) => n > 1).map(([id]) => id);
  if (missing.length) problems.push(`${missing.length} acknowledged record(s) missing: ${missing.slice(0, 5).join(', ')}`);
  if (duplicated.length) problems.push(`${duplicated.length} record(s) present more than once: ${duplicated.slice(0, 5).join(', ')}`);
  const markers = conflictMarkers(dir);
  if (markers.length) problems.push(`conflict markers in ${markers.join(', ')}`);
  const check = spawnSync(process.execPath, [bin, 'check'], { cwd: dir, env: baseEnv(), encoding: 'utf8' });
  if (check.status !== 0) problems.push(`check failed: ${(check.stdout + check.stderr).trim().split('\n').slice(0, 5).join(' | ')}`);
  for (const s of summaries) for (const error of s.errors) problems.push(`${s.agent}: ${error}`);

  const tasks = new Map(JSON.parse(sh(dir, process.execPath, [bin, 'backlog', 'list', '--all', '--json'])).tasks.map((task) => [task.id, task]));
  const byTask = (field) => {
    const map = new Map();
    for (const s of summaries) for (const id of s[field]) map.set(id, new Set([...(map.get(id) ?? []), s.agent]));
    return map;
  };
  const losersOf = (task) => new Set((task?.conflicts ?? []).map((conflict) => conflict.agent));
  let doubleClaims = 0;
  for (const [id, agents] of byTask('claimed')) {
    if (agents.size < 2) continue;
    doubleClaims++;
    const task = tasks.get(id);
    const undetected = [...agents].filter((agent) => agent !== task?.owner && !losersOf(task).has(agent));
    if (undetected.length) problems.push(`${id}: claimed by ${[...agents].join(', ')}, but ${undetected.join(', ')} not recorded as losing it`);
  }
  for (const [id, agents] of byTask('done')) {
    if (agents.size < 2) continue;
    const task = tasks.get(id);
    const unrecorded = [...agents].filter((agent) => agent !== task?.owner && !losersOf(task).has(agent));
    if (unrecorded.length) problems.push(`${id}: done by ${[...agents].join(', ')} without a recorded conflict for ${unrecorded.join(', ')}`);
  }
  let detected = 0;
  let told = 0;
  for (const task of tasks.values()) {
    for (const conflict of task.conflicts ?? []) {
      if (conflict.reason !== 'double claim') continue;
      detected++;
      const loser = summaries.find((s) => s.agent === conflict.agent);
      if (loser?.lost.some((loss) => loss.task === task.id)) told++;
      else problems.push(`${task.id}: ${conflict.agent} lost it to ${conflict.lost_to}, but no sync told ${conflict.agent}`);
    }
  }
  return {
    problems,
    figures: { acknowledged: acked.length, records: count.size, contested_tasks: doubleClaims, lost_claims: detected, lost_claims_told: told },
  };
}

// `node bench/sync-cluster.mjs [clones] [rounds]`: run it alone and print the figures.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const bin = join(here, '..', 'bin', 'agentstate.js');
  const result = await syncCluster({ bin, clones: Number(process.argv[2] ?? 6), rounds: Number(process.argv[3] ?? 20), keep: process.argv.includes('--keep') });
  console.log(JSON.stringify(result, null, 2));
  process.exitCode = result.problems.length ? 1 : 0;
}
