import type { CommandRun } from '../command.js';
import type { Runtime } from '../core/schemas.js';
import { Exit } from '../errors.js';
import { openContext } from '../store/context.js';
import { renewLeases, tellLosses } from '../store/lease.js';
import { mutate } from '../store/mutate.js';
import { readRuntime, writeRuntime } from '../store/runtime-file.js';
import { nowIso } from './shared.js';

/**
 * `agentstate heartbeat`: mark the runtime state as alive now and renew every lease the agent
 * holds. It says every claim the agent lost while the winner still holds it ("you lost task t-…
 * to <agent>; stop working on it"), and exits 4 when one of them is news (so a script stops working
 * on that task once).
 */
export const run: CommandRun = async ({ globals }) => {
  const context = await openContext(globals);
  const { result, commit } = await mutate(context, 'heartbeat', async (tx) => {
    const current = readRuntime(context);
    const now = nowIso();
    const runtime: Runtime = { ...current, version: current.version + 1, updated_at: now, updated_by: context.agent(), heartbeat_at: now };
    writeRuntime(tx, runtime);
    const renewed = await renewLeases(tx, { force: true });
    tx.describe(renewed.length ? `alive, lease renewed: ${renewed.join(', ')}` : 'alive');
    return { runtime, renewed };
  });
  const losses = await tellLosses(context);
  const warnings = [...losses.messages, ...context.warnings];
  return {
    data: { version: result.runtime.version, heartbeat_at: result.runtime.heartbeat_at, renewed: result.renewed, lost: losses.lost, commit, warnings },
    warnings,
    exitCode: losses.anyNew ? Exit.conflict : Exit.ok,
    quiet: String(result.runtime.heartbeat_at),
    human: () => `heartbeat ${result.runtime.heartbeat_at}${result.renewed.length ? `; lease renewed: ${result.renewed.join(', ')}` : ''}`,
  };
};
