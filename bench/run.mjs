// npm run bench: latency against the floor, flat cost as logs grow, large-state resume and
// check, parallel writers, a peer (Backlog.md) when it is installed, and many clones syncing. Prints a table and
// writes the same figures to bench/results/latest.json. Public tools only: Node's timers and
// child processes, plus git.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { seedEvents, seedHistory, seedLargeState, seedStateCommits } from './seed.mjs';
import { printScale } from './scale.mjs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(root, 'bin', 'agentstate.js');
const QUICK = process.argv.includes('--quick');
const RUNS = QUICK ? 7 : 21;
const env = { ...process.env, NO_COLOR: '1', AGENTSTATE_AGENT: 'bench' };
for (const key of Object.keys(env)) if (key.startsWith('GIT_')) delete env[key];
const temps = [];

function temp(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

function sh(cwd, command, args, input) {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', input, maxBuffer: 1 << 30 });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

function repo() {
  const dir = temp('agentstate-bench-');
  sh(dir, 'git', ['init', '-q', '-b', 'main']);
  sh(dir, 'git', ['config', 'user.name', 'Bench']);
  sh(dir, 'git', ['config', 'user.email', 'bench@example.com']);
  writeFileSync(join(dir, 'README.md'), '# bench\n');
  sh(dir, 'git', ['add', 'README.md']);
  sh(dir, 'git', ['commit', '-q', '-m', 'initial']);
  return dir;
}

/** Wall time of one child process, in ms. */
function timed(cwd, command, args) {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0 && !(args.includes('--check') || args[1] === 'check')) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
  return ms;
}

function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
  return { median: round(median), min: round(sorted[0]), max: round(sorted[sorted.length - 1]), runs: samples.length };
}
const round = (n) => Math.round(n * 10) / 10;

/** Run `step(i)` `runs` times after `warm` warm-up runs; each returns ms. */
function measure(step, runs = RUNS, warm = 2) {
  for (let i = 0; i < warm; i++) step(-1 - i);
  return stats(Array.from({ length: runs }, (_, i) => step(i)));
}

const results = { machine: machine(), started: new Date().toISOString(), commands: {}, growth: {}, large: {}, freshClone: {}, parallel: {}, peer: {}, sync: {} };

function machine() {
  const git = spawnSync('git', ['--version'], { encoding: 'utf8' }).stdout.trim();
  return { node: process.version, git, cpus: cpus().length, cpu: cpus()[0]?.model ?? '?', memory_gib: Math.round(totalmem() / 2 ** 30) };
}

const cli = (dir, ...args) => timed(dir, process.execPath, [BIN, ...args]);

/**
 * Interleaved sampling: round after round, every step once, so that all of them meet the same
 * machine load (this kind of machine is shared and noisy; medians taken minutes apart are not
 * comparable). Returns stats per step.
 */
function interleaved(steps, runs = RUNS, warm = 2) {
  const samples = Object.fromEntries(Object.keys(steps).map((name) => [name, []]));
  for (let round = -warm; round < runs; round++) {
    for (const [name, step] of Object.entries(steps)) {
      const ms = step(round);
      if (round >= 0) samples[name].push(ms);
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([name, list]) => [name, stats(list)]));
}

// 1-2. The floor (starting Node, and one git commit of one small file) and each command on a small state.
{
  const floorDir = repo();
  writeFileSync(join(floorDir, 'floor.txt'), 'start\n');
  sh(floorDir, 'git', ['add', 'floor.txt']);
  let n = 0;
  const dir = repo();
  sh(dir, process.execPath, [BIN, 'init']);
  const task = sh(dir, process.execPath, [BIN, 'backlog', 'add', 'seed task']).trim();
  // An open decision with expectations: every write checks them again for the AGENTS.md block.
  const expecting = repo();
  sh(expecting, process.execPath, [BIN, 'init']);
  sh(expecting, process.execPath, [BIN, 'decide', 'bench migration', '--why', 'measuring', '--expect', 'file:db/0042.sql', '--expect', 'commit:migration 0042']);
  const measured = interleaved({
    node: () => timed(floorDir, process.execPath, ['-e', '']),
    commit: () => {
      writeFileSync(join(floorDir, 'floor.txt'), `${n++}\n`);
      return timed(floorDir, 'git', ['commit', '-q', '--only', '-m', 'floor', '--', 'floor.txt']);
    },
    log: (i) => cli(dir, 'log', `bench event ${i}`),
    'log, open --expect': (i) => cli(expecting, 'log', `bench event ${i}`),
    decide: (i) => cli(dir, 'decide', `bench decision ${i}`, '--why', 'measuring'),
    catch: (i) => cli(dir, 'catch', 'bench', `caught ${i}`),
    learn: (i) => cli(dir, 'learn', `bench lesson ${i}`, '--tag', 'bench'),
    'backlog add': (i) => cli(dir, 'backlog', 'add', `bench task ${i}`),
    'state set': (i) => cli(dir, 'state', 'set', `counter=${i}`),
    'backlog update': (i) => cli(dir, 'backlog', 'update', task, '--note', `n${i}`),
    resume: () => cli(dir, 'resume'),
    check: () => cli(dir, 'check'),
  });
  const { node, commit, ...commands } = measured;
  results.floor = { node, git_commit: commit, median: round(node.median + commit.median) };
  for (const [name, s] of Object.entries(commands)) results.commands[name] = { ...s, ratio: round(s.median / results.floor.median) };
}

// 3. log latency as the log grows (interleaved across sizes), and repository growth per appended record.
function repoBytes(dir) {
  const out = sh(dir, 'git', ['count-objects', '-v']);
  const kib = (key) => Number(new RegExp(`^${key}: (\\d+)`, 'm').exec(out)?.[1] ?? 0);
  return (kib('size') + kib('size-pack')) * 1024;
}
{
  const summary = 'growth probe: a typical event summary of about eighty bytes, give or take a few';
  const sizes = QUICK ? [100, 10_000] : [100, 10_000, 100_000];
  const dirs = Object.fromEntries(
    sizes.map((size) => {
      const dir = repo();
      sh(dir, process.execPath, [BIN, 'init']);
      seedEvents(dir, size);
      sh(dir, 'git', ['gc', '-q']);
      return [size, dir];
    }),
  );
  const logs = interleaved(Object.fromEntries(sizes.map((size) => [size, (i) => cli(dirs[size], 'log', `${summary} ${i}`)])));
  for (const size of sizes) {
    const dir = dirs[size];
    // Growth: loose objects as the commits leave them, and packed as git gc leaves them (a full
    // repack before and after, so that only the new records' share is counted).
    sh(dir, 'git', ['repack', '-adfq']);
    const before = repoBytes(dir);
    const appended = 20;
    for (let i = 0; i < appended; i++) cli(dir, 'log', `${summary} ${i}`);
    const loose = repoBytes(dir) - before;
    sh(dir, 'git', ['repack', '-adfq']);
    sh(dir, 'git', ['prune', '--expire=now']);
    const packed = repoBytes(dir) - before;
    results.growth[size] = {
      log: logs[size],
      repo_growth_per_record_loose_bytes: Math.round(loose / appended),
      repo_growth_per_record_packed_bytes: Math.round(packed / appended),
      record_bytes: 190,
    };
  }
  const small = results.growth[sizes[0]].log.median;
  const large = results.growth[sizes[sizes.length - 1]].log.median;
  results.growth.flatness = { sizes: `${sizes[0]} -> ${sizes[sizes.length - 1]}`, ratio: Math.round((large / small) * 100) / 100 };
}

// 4. resume and check on a large state: 100,000 events, 10,000 decisions, 5,000 tasks.
{
  const dir = repo();
  sh(dir, process.execPath, [BIN, 'init']);
  seedEvents(dir, QUICK ? 10_000 : 100_000);
  const { decisions: count, tasks: taskCount } = seedLargeState(dir, QUICK ? 1000 : 10_000, QUICK ? 500 : 5000);
  sh(dir, 'git', ['add', '.agentstate']);
  sh(dir, 'git', ['commit', '-q', '-m', 'seed']);
  sh(dir, process.execPath, [BIN, 'doctor', '--repair']); // regenerate the index and the boot block
  results.large = {
    state: { events: QUICK ? 10_000 : 100_000, decisions: count, tasks: taskCount },
    resume: measure(() => cli(dir, 'resume'), QUICK ? 5 : 11),
    check: measure(() => cli(dir, 'check'), QUICK ? 3 : 7),
    'check --staged': measure(() => cli(dir, 'check', '--staged'), QUICK ? 3 : 7),
    // The first search indexes every file (a cache under the git dir); later ones read the indexes.
    'search, first run': stats([cli(dir, 'search', 'benchmark')]),
    search: measure((i) => cli(dir, 'search', `decision ${(i + 3) * 377}`), QUICK ? 5 : 11),
    'search, common word': measure(() => cli(dir, 'search', 'seeded', 'benchmark'), QUICK ? 5 : 11),
  };
  // The header counts the state commits after the handoff's commit: found once by its trailer
  // (git log --grep over the commits since), then remembered under the git dir.
  sh(dir, process.execPath, [BIN, 'handoff', '--done', 'seeded']);
  const after = QUICK ? 500 : 2000;
  seedStateCommits(dir, after);
  const memo = join(dir, '.git', 'agentstate', 'handoff-commit');
  results.large.commits_after_handoff = after;
  results.large['resume, handoff commit searched'] = measure(() => (rmSync(memo, { force: true }), cli(dir, 'resume')), QUICK ? 5 : 11);
  results.large['resume, handoff commit remembered'] = measure(() => cli(dir, 'resume'), QUICK ? 5 : 11);
}

// 4b. check in a fresh clone, as every CI run does: 2,000 state commits holding 100,000 events,
// no check point and no remembered segments, so the whole history is walked.
{
  const origin = repo();
  sh(origin, process.execPath, [BIN, 'init']);
  const seeded = seedHistory(origin, QUICK ? 200 : 2000, 50);
  sh(origin, process.execPath, [BIN, 'boot']);
  const samples = [];
  for (let i = 0; i < (QUICK ? 3 : 7); i++) {
    const clone = temp('agentstate-clone-');
    sh(clone, 'git', ['clone', '-q', `file://${origin}`, '.']);
    if (i === 0) {
      const verdict = spawnSync(process.execPath, [BIN, 'check'], { cwd: clone, env, encoding: 'utf8' });
      if (verdict.status !== 0) throw new Error(`check of the seeded history failed: ${verdict.stdout}${verdict.stderr}`);
      rmSync(join(clone, '.git', 'agentstate'), { recursive: true, force: true }); // as fresh as a new clone again
    }
    // Wall time, and with /usr/bin/time the CPU time of check and its git children: on a shared
    // machine the wall time follows the neighbours' load, the CPU time does not.
    const measured = spawnSync('/usr/bin/time', ['-f', '%e %U %S', process.execPath, BIN, 'check'], { cwd: clone, env, encoding: 'utf8' });
    if (measured.error) samples.push({ wall: cli(clone, 'check') });
    else {
      const [wall, user, system] = measured.stderr.trim().split('\n').pop().split(' ').map(Number);
      samples.push({ wall: wall * 1000, cpu: (user + system) * 1000 });
    }
    rmSync(clone, { recursive: true, force: true });
  }
  const cpu = samples.filter((sample) => sample.cpu !== undefined).map((sample) => sample.cpu);
  results.freshClone = { commits: seeded.commits, events: seeded.events, check: stats(samples.map((sample) => sample.wall)), ...(cpu.length ? { check_cpu: stats(cpu) } : {}), target_ms: 3000 };
}

// 5. 8 processes x 50 log at once.
{
  const dir = repo();
  sh(dir, process.execPath, [BIN, 'init']);
  const before = Number(sh(dir, 'git', ['rev-list', '--count', 'HEAD']).trim());
  const workers = 8;
  const each = QUICK ? 10 : 50;
  const started = process.hrtime.bigint();
  const run = (args) =>
    new Promise((done) => {
      const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env });
      let out = '';
      child.stdout.on('data', (chunk) => (out += chunk));
      child.on('close', (code) => done({ code, out: out.trim() }));
    });
  const outcomes = (
    await Promise.all(
      Array.from({ length: workers }, async (_, w) => {
        const mine = [];
        for (let i = 0; i < each; i++) mine.push(await run(['log', `parallel ${w}-${i}`]));
        return mine;
      }),
    )
  ).flat();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const ids = JSON.parse(sh(dir, process.execPath, [BIN, 'events', '--json'])).events.map((event) => event.id);
  const acknowledged = outcomes.filter((o) => o.code === 0).map((o) => o.out);
  results.parallel = {
    processes: workers,
    logs_each: each,
    failures: outcomes.filter((o) => o.code !== 0).length,
    lost: acknowledged.filter((id) => !ids.includes(id)).length,
    duplicated: ids.length - new Set(ids).size,
    commits: Number(sh(dir, 'git', ['rev-list', '--count', 'HEAD']).trim()) - before,
    seconds: round(seconds),
    logs_per_second: round((workers * each) / seconds),
  };
}

// 5b. Flat at any scale (bench/scale.mjs): the cost of a write against 50,000 tracked files, 5,000
// tasks and the large state, as ratios on Node 20 and Node 22.
{
  const { scaleBench } = await import('./scale.mjs');
  results.scale = await scaleBench({ quick: QUICK });
}

// 6. The peer: Backlog.md's `task create` with auto-commit, when installed.
{
  const which = spawnSync('backlog', ['--version'], { encoding: 'utf8', env });
  if (which.status !== 0) {
    results.peer = { skipped: 'Backlog.md is not installed (npm i -g backlog.md)' };
  } else {
    const peer = repo();
    sh(peer, 'backlog', ['init', 'bench', '--defaults', '--integration-mode', 'none'], '');
    sh(peer, 'backlog', ['config', 'set', 'autoCommit', 'true']);
    sh(peer, 'backlog', ['config', 'set', 'remoteOperations', 'false']);
    const backlog = measure((i) => timed(peer, 'backlog', ['task', 'create', `peer task ${i}`]), QUICK ? 5 : 11, 1);
    const ours = repo();
    sh(ours, process.execPath, [BIN, 'init']);
    const agentstate = measure((i) => cli(ours, 'backlog', 'add', `our task ${i}`), QUICK ? 5 : 11, 1);
    results.peer = { version: which.stdout.trim(), 'backlog.md task create': backlog, 'agentstate backlog add': agentstate, speedup: round(backlog.median / agentstate.median) };
  }
}

// 7. The MCP server: the size of its whole tools/list answer as it crosses the wire (what every
// session pays in context; target < 2,000 tokens), and the time from spawn to that answer.
{
  const dir = repo();
  sh(dir, process.execPath, [BIN, 'init']);
  const toolsList = () =>
    new Promise((done, fail) => {
      const started = process.hrtime.bigint();
      const child = spawn(process.execPath, [BIN, 'mcp'], { cwd: dir, env });
      let out = '';
      child.stdout.on('data', (chunk) => {
        out += chunk;
        const line = out.split('\n').find((candidate) => candidate.includes('"id":2'));
        if (!line) return;
        child.stdin.end();
        done({ line, ms: Number(process.hrtime.bigint() - started) / 1e6 });
      });
      child.on('error', fail);
      const send = (message) => child.stdin.write(`${JSON.stringify(message)}\n`);
      send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } } });
      send({ jsonrpc: '2.0', method: 'notifications/initialized' });
      send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    });
  const samples = [];
  let line = '';
  for (let i = 0; i < (QUICK ? 3 : 7); i++) ({ line, ms: samples[samples.length] } = await toolsList());
  const bytes = Buffer.byteLength(line);
  results.mcp = { tools: JSON.parse(line).result.tools.length, tools_list_bytes: bytes, tools_list_tokens: Math.ceil(bytes / 4), start_to_tools_list: stats(samples) };
}

// 8. Many machines, one state: a bare remote and 6 clones, each an agent process looping
//    claim -> log -> decide/outcome -> done -> sync at once, 20 rounds each; then a fresh clone checked.
{
  const { syncCluster } = await import('./sync-cluster.mjs');
  const cluster = await syncCluster({ bin: BIN, clones: QUICK ? 3 : 6, rounds: QUICK ? 5 : 20 });
  results.sync = { ...cluster.figures, problems: cluster.problems };
}

results.finished = new Date().toISOString();
const outDir = join(root, 'bench', 'results');
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'latest.json'), JSON.stringify(results, null, 2) + '\n');
for (const dir of temps) rmSync(dir, { recursive: true, force: true });
print(results);

function print(r) {
  const row = (cells) => cells.map((cell, i) => String(cell).padEnd(i === 0 ? 30 : 10)).join(' ');
  const lines = [];
  lines.push(`agentstate bench — node ${r.machine.node}, ${r.machine.git}, ${r.machine.cpus} x ${r.machine.cpu}`);
  lines.push('');
  lines.push(row(['', 'median ms', 'min', 'max', 'x floor']));
  lines.push(row(['floor: node -e ""', r.floor.node.median, r.floor.node.min, r.floor.node.max, '']));
  lines.push(row(['floor: git commit (1 file)', r.floor.git_commit.median, r.floor.git_commit.min, r.floor.git_commit.max, '']));
  lines.push(row(['floor (sum)', r.floor.median, '', '', '1.0']));
  for (const [name, s] of Object.entries(r.commands)) lines.push(row([name, s.median, s.min, s.max, s.ratio]));
  lines.push('');
  lines.push(row(['log as the log grows', 'median ms', 'min', 'max', 'loose B/rec', 'packed B/rec']));
  for (const [size, g] of Object.entries(r.growth)) {
    if (size === 'flatness') continue;
    lines.push(row([`  at ${size} events`, g.log.median, g.log.min, g.log.max, g.repo_growth_per_record_loose_bytes, g.repo_growth_per_record_packed_bytes]));
  }
  lines.push(`  flatness (${r.growth.flatness.sizes}): ${r.growth.flatness.ratio}x`);
  lines.push('');
  lines.push(`large state (${r.large.state.events} events, ${r.large.state.decisions} decisions, ${r.large.state.tasks} tasks):`);
  for (const name of ['resume', 'check', 'check --staged', 'search, first run', 'search', 'search, common word']) lines.push(row([`  ${name}`, r.large[name].median, r.large[name].min, r.large[name].max, '']));
  lines.push(`  then a handoff and ${r.large.commits_after_handoff} state commits after it:`);
  for (const name of ['resume, handoff commit searched', 'resume, handoff commit remembered']) lines.push(row([`  ${name}`, r.large[name].median, r.large[name].min, r.large[name].max, '']));
  const f = r.freshClone;
  lines.push(`fresh clone (${f.commits} commits, ${f.events} events), target < ${f.target_ms} ms:`);
  lines.push(row(['  check, wall', f.check.median, f.check.min, f.check.max, '']));
  if (f.check_cpu) lines.push(row(['  check, CPU (user + sys)', f.check_cpu.median, f.check_cpu.min, f.check_cpu.max, '']));
  lines.push('');
  const p = r.parallel;
  lines.push(`parallel: ${p.processes} x ${p.logs_each} log: ${p.failures} failures, ${p.lost} lost, ${p.duplicated} duplicated, ${p.commits} commits, ${p.seconds} s, ${p.logs_per_second} logs/s`);
  if (r.peer.skipped) lines.push(`peer: skipped — ${r.peer.skipped}`);
  else lines.push(`peer: Backlog.md ${r.peer.version} task create ${r.peer['backlog.md task create'].median} ms vs agentstate backlog add ${r.peer['agentstate backlog add'].median} ms: ${r.peer.speedup}x`);
  if (r.mcp) {
    lines.push(`mcp: ${r.mcp.tools} tools, tools/list answer ${r.mcp.tools_list_bytes} bytes = ${r.mcp.tools_list_tokens} tokens (bytes/4; target < 2,000); spawn to tools/list ${r.mcp.start_to_tools_list.median} ms median`);
  }
  const c = r.sync;
  lines.push(
    `sync: ${c.clones} clones x ${c.rounds} rounds at once: ${c.ops} ops, ${c.syncs} syncs, ${c.retries} retried pushes, ${c.failed_syncs} failed syncs, ` +
      `${c.contested_tasks} tasks claimed twice, ${c.lost_claims} lost claims recorded, ${c.lost_claims_told} told; ${c.acknowledged} records acknowledged, ` +
      `${c.problems.length ? `PROBLEMS: ${c.problems.join('; ')}` : 'all present once, no marker, check clean'}; ${c.loop_seconds} s (${c.commits} commits)`,
  );
  if (r.scale) {
    lines.push('');
    lines.push(printScale(r.scale));
  }
  lines.push('');
  lines.push(`written to bench/results/latest.json`);
  console.log(lines.join('\n'));
}
