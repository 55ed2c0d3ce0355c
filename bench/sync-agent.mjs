// One agent on one clone, as its own process: `rounds` times
//   backlog next --claim -> log -> decide -> outcome -> backlog update --status done -> sync
// and then a JSON summary on stdout: what it claimed and finished, the ids agentstate acknowledged
// (exit 0), the losses sync told it (exit 4), and its sync figures. Used by bench/sync-cluster.mjs.
// Usage: node bench/sync-agent.mjs <bin> <clone> <agent> <rounds>
import { spawnSync } from 'node:child_process';

const [bin, dir, agent, roundsText] = process.argv.slice(2);
const rounds = Number(roundsText);
const env = { ...process.env, NO_COLOR: '1', AGENTSTATE_AGENT: agent };
for (const key of Object.keys(env)) if (key.startsWith('GIT_')) delete env[key];

const summary = { agent, ops: 0, syncs: 0, retries: 0, sync_failures: [], claimed: [], done: [], acked: [], lost: [], errors: [] };

function run(args) {
  summary.ops++;
  const result = spawnSync(process.execPath, [bin, ...args, '--json'], { cwd: dir, env, encoding: 'utf8' });
  let data;
  try {
    data = JSON.parse(result.stdout);
  } catch {
    data = undefined;
  }
  return { code: result.status, data, stderr: result.stderr };
}

function expectOk(args, outcome) {
  if (outcome.code !== 0) summary.errors.push(`${args.join(' ')}: exit ${outcome.code}: ${outcome.stderr.trim().split('\n')[0]}`);
  return outcome.code === 0;
}

function sync() {
  const outcome = run(['sync']);
  summary.syncs++;
  if (outcome.data && typeof outcome.data.retries === 'number') summary.retries += outcome.data.retries;
  for (const loss of outcome.data?.lost ?? []) summary.lost.push({ task: loss.task, to: loss.to });
  if (outcome.code !== 0 && outcome.code !== 4) summary.sync_failures.push(outcome.stderr.trim().split('\n')[0]);
}

for (let round = 0; round < rounds; round++) {
  const next = run(['backlog', 'next', '--claim']);
  const task = next.code === 0 ? next.data?.task : undefined;
  if (next.code !== 0) expectOk(['backlog', 'next', '--claim'], next);
  if (task) {
    summary.claimed.push(task.id);
    const logged = run(['log', `${agent} works on ${task.id}`, '--data', `task=${task.id}`]);
    if (expectOk(['log'], logged)) summary.acked.push(logged.data.id);
    const decided = run(['decide', `${agent}: approach for ${task.id}`, '--why', 'round robin']);
    if (expectOk(['decide'], decided)) {
      const decisionId = decided.data.id;
      summary.acked.push(decisionId);
      const outcome = run(['outcome', decisionId, 'done', '--note', `${task.id} finished`]);
      if (expectOk(['outcome'], outcome)) summary.acked.push(outcome.data.id);
    }
    const updated = run(['backlog', 'update', task.id, '--status', 'done']);
    if (expectOk(['backlog update'], updated)) summary.done.push(task.id);
  }
  sync();
}

process.stdout.write(JSON.stringify(summary) + '\n');
