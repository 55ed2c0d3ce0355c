import type { CommandRun } from '../command.js';
import type { Runtime } from '../core/schemas.js';
import { Exit } from '../errors.js';
import { openContext } from '../store/context.js';
import { markTold, renewLeases, untoldLossesNow, withoutKeys } from '../store/lease.js';
import { mutate } from '../store/mutate.js';
import { readRuntime, writeRuntime } from '../store/runtime-file.js';
import { nowIso } from './shared.js';

/**
 * `agentstate heartbeat`: mark the runtime state as alive now and renew every lease the agent
 * holds. Exit 4 when the agent lost a claim it has not been told about (so a script stops
 * working on that task): "you lost task t-… to <agent>; stop working on it".
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
  const losses = await untoldLossesNow(context);
  markTold(context, losses.map((loss) => loss.key));
  const warnings = [...losses.map((loss) => loss.message), ...context.warnings];
  return {
    data: { version: result.runtime.version, heartbeat_at: result.runtime.heartbeat_at, renewed: result.renewed, lost: withoutKeys(losses), commit, warnings },
    warnings,
    exitCode: losses.length ? Exit.conflict : Exit.ok,
    quiet: String(result.runtime.heartbeat_at),
    human: () => `heartbeat ${result.runtime.heartbeat_at}${result.renewed.length ? `; lease renewed: ${result.renewed.join(', ')}` : ''}`,
  };
};
