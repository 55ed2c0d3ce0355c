// Seed large states quickly, laid out as agentstate would have written them (the benchmark
// measures commands on them, not the seeding).
import { spawnSync } from 'node:child_process';
import { appendFileSync, closeSync, mkdirSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

function sh(cwd, command, args) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

export function seedEvents(dir, count) {
  const lines = [];
  const start = Date.UTC(2025, 0, 1);
  for (let i = 0; i < count; i++) {
    const id = `ev-${i.toString(32).padStart(10, '0')}`;
    const at = new Date(start + i * 1000).toISOString();
    lines.push(`- {"id":"${id}","at":"${at}","type":"note","agent":"seed","commit":"0123456789ab","summary":"seeded event number ${i} for the benchmark"}\n`);
  }
  // Lay the records out as agentstate would have: sealed 256 KiB segments (archive.seal_bytes), then the active file.
  const header = '# agentstate event log: append-only, one event per line. Add with `agentstate log`.\nschema: 1\nevents:\n';
  const archive = join(dir, '.agentstate', 'archive');
  let chunk = [];
  let bytes = 0;
  let segment = 0;
  for (const line of lines) {
    chunk.push(line);
    bytes += line.length;
    if (bytes > 262_144) {
      mkdirSync(archive, { recursive: true });
      writeFileSync(join(archive, `events.20250101T${String(segment++).padStart(6, '0')}Z.bench0.yaml`), header + chunk.join(''));
      chunk = [];
      bytes = 0;
    }
  }
  writeFileSync(join(dir, '.agentstate', 'events.yaml'), header + chunk.join(''));
  sh(dir, 'git', ['add', '.agentstate']);
  sh(dir, 'git', ['commit', '-q', '-m', `seed ${count} events`]);
}

/**
 * Decisions (one in ten left open) and tasks, laid out as agentstate would have written them.
 * Tasks: 80% done, 5% dropped, 15% open. A backlog that reached 5,000 tasks is years old: finished
 * work piles up while open work is bounded by what a team can take on (mature GitHub projects have
 * 80-90% of their issues closed). Lines carry an epic and a tag (about 200 bytes, 1 MB for 5,000
 * tasks, as real backlogs of that size measured 0.8-1.1 MB). Settled tasks sit in sealed segments
 * of 16 KiB, the rest of them (under 16 KiB) in the active file with the open ones; with
 * SCALE_FLAT_BACKLOG=1 all in backlog.yaml, as agentstate wrote them before it sealed tasks
 * (for a before/after with SCALE_BIN pointing at an older build).
 */
export function seedLargeState(dir, count, taskCount, { flat = process.env.SCALE_FLAT_BACKLOG === '1' } = {}) {
  const decisions = [];
  const start = Date.UTC(2025, 0, 1);
  for (let i = 0; i < count; i++) {
    const at = new Date(start + i * 1000).toISOString();
    const id = `d-${i.toString(32).padStart(10, '0')}`;
    decisions.push(`- {"id":"${id}","at":"${at}","kind":"decision","title":"decision ${i}","why":"benchmark","standing":false,"agent":"seed"}\n`);
    if (i % 10 !== 0) decisions.push(`- {"id":"d-o${i.toString(32).padStart(9, '0')}","at":"${at}","kind":"outcome","decision":"${id}","status":"done","agent":"seed"}\n`);
  }
  appendFileSync(join(dir, '.agentstate', 'decisions.yaml'), decisions.join(''));
  const active = [];
  let sealed = [];
  let sealedBytes = 0;
  let segment = 0;
  const header = '# agentstate backlog archive: done and dropped tasks, sealed, never changed. `agentstate backlog list --all` shows them.\nschema: 1\nitems:\n';
  for (let i = 0; i < taskCount; i++) {
    const at = new Date(start + i * 1000).toISOString();
    const status = i % 20 < 3 ? 'open' : i % 20 === 3 ? 'dropped' : 'done';
    const line = `- {"id":"t-${i.toString(32).padStart(10, '0')}","title":"task ${i} of the benchmark backlog","status":"${status}","priority":"P${i % 4}","epic":"epic-${i % 40}","tags":["area-${i % 7}"],"version":${status === 'open' ? 1 : 3},"created":"${at}","updated":"${at}"}\n`;
    if (status === 'open' || flat) {
      active.push(line);
      continue;
    }
    sealed.push(line);
    sealedBytes += line.length;
    if (sealedBytes >= 16_384) {
      mkdirSync(join(dir, '.agentstate', 'archive'), { recursive: true });
      writeFileSync(join(dir, '.agentstate', 'archive', `backlog.20250101T${String(segment++).padStart(6, '0')}Z.bench0.yaml`), header + sealed.join(''));
      sealed = [];
      sealedBytes = 0;
    }
  }
  appendFileSync(join(dir, '.agentstate', 'backlog.yaml'), [...sealed, ...active].join(''));
  return { decisions: count, tasks: taskCount };
}

/**
 * `count` state commits on top of HEAD (each rewrites runtime.json with the next version), made
 * with git fast-import: the history a handoff leaves behind after a long stretch of work.
 */
export function seedStateCommits(dir, count) {
  const head = sh(dir, 'git', ['rev-parse', 'HEAD']).trim();
  const now = Math.floor(Date.now() / 1000);
  const chunks = [];
  for (let i = 1; i <= count; i++) {
    const runtime = Buffer.from(`${JSON.stringify({ schema: 1, version: i, updated_at: new Date().toISOString(), updated_by: 'seed', fields: { step: i } }, null, 2)}\n`);
    const message = Buffer.from(`agentstate: state set step\n\nAgentstate-Agent: seed\n`);
    chunks.push(Buffer.from(`commit refs/heads/main\ncommitter Seed <seed@example.com> ${now + i} +0000\ndata ${message.length}\n`), message);
    if (i === 1) chunks.push(Buffer.from(`from ${head}\n`));
    chunks.push(Buffer.from(`M 100644 inline .agentstate/runtime.json\ndata ${runtime.length}\n`), runtime, Buffer.from('\n'));
  }
  const result = spawnSync('git', ['fast-import', '--quiet'], { cwd: dir, input: Buffer.concat(chunks) });
  if (result.status !== 0) throw new Error(`git fast-import: ${result.stderr}`);
  sh(dir, 'git', ['reset', '-q', '--hard']);
}

/**
 * A history of `commits` commits on top of HEAD, each appending `perCommit` events to the active
 * log and sealing it into a segment past 256 KiB, as agentstate would have; written with one
 * `git fast-import` (the benchmark measures checking the history, not making it).
 */
export function seedHistory(dir, commits, perCommit) {
  const header = '# agentstate event log: append-only, one event per line. Add with `agentstate log`.\nschema: 1\nevents:\n';
  const head = sh(dir, 'git', ['rev-parse', 'HEAD']).trim();
  const start = Date.UTC(2025, 0, 1);
  const stream = join(dir, '.git', 'bench-history.fi');
  const out = openSync(stream, 'w');
  let active = header;
  let n = 0;
  for (let c = 0; c < commits; c++) {
    for (let k = 0; k < perCommit; k++, n++) {
      const at = new Date(start + n * 1000).toISOString();
      active += `- {"id":"ev-h${n.toString(32).padStart(9, '0')}","at":"${at}","type":"note","agent":"seed","commit":"0123456789ab","summary":"history event number ${n} for the benchmark"}\n`;
    }
    const files = [];
    if (Buffer.byteLength(active) > 262_144) {
      const stamp = new Date(start + n * 1000).toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
      files.push([`.agentstate/archive/events.${stamp}.${c.toString(16).padStart(6, '0')}.yaml`, active]);
      active = header;
    }
    files.push(['.agentstate/events.yaml', active]);
    const message = `agentstate: log history ${c}\n`;
    writeSync(out, `commit refs/heads/main\ncommitter Seed <seed@example.com> ${1735689600 + c} +0000\ndata ${Buffer.byteLength(message)}\n${message}`);
    if (c === 0) writeSync(out, `from ${head}\n`);
    for (const [path, text] of files) writeSync(out, `M 100644 inline ${path}\ndata ${Buffer.byteLength(text)}\n${text}\n`);
  }
  closeSync(out);
  const input = openSync(stream, 'r');
  const imported = spawnSync('git', ['fast-import', '--quiet', '--force'], { cwd: dir, stdio: [input, 'ignore', 'pipe'], encoding: 'utf8' });
  closeSync(input);
  rmSync(stream);
  if (imported.status !== 0) throw new Error(`git fast-import: ${imported.stderr}`);
  sh(dir, 'git', ['reset', '-q', '--hard', 'main']);
  return { commits, events: n };
}
