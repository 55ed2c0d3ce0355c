import { isVersion } from './skew.js';

/** Settings in .agentstate/config.yaml, with their defaults. */
export interface Config {
  schema: number;
  /** The oldest agentstate that may write this state (recorded by `migrate`); older ones refuse to write. */
  min_writer?: string;
  git: { commit: boolean | CommitMode; squash_window: string | number; sign: 'auto' | 'never' | 'always' };
  lock: { timeout_ms: number; stale_ms: number };
  limits: { field_bytes: number; attach_bytes: number };
  archive: { seal_bytes: number };
  boot: { budget: number };
  decisions: { recent: number };
  runtime: { heartbeat_stale_minutes: number; types: Record<string, string> };
  backlog: { lease_minutes: number };
  sync: { after_write: boolean; tries: number };
  resume: { timeout_ms: number };
}

export const DEFAULT_CONFIG: Config = {
  schema: 1,
  git: { commit: 'each', squash_window: '10m', sign: 'auto' },
  lock: { timeout_ms: 10_000, stale_ms: 30_000 },
  limits: { field_bytes: 4096, attach_bytes: 5_242_880 },
  archive: { seal_bytes: 262_144 },
  boot: { budget: 1500 },
  decisions: { recent: 10 },
  runtime: { heartbeat_stale_minutes: 60, types: {} },
  backlog: { lease_minutes: 60 },
  sync: { after_write: false, tries: 10 },
  resume: { timeout_ms: 2000 },
};

/** How changes are recorded in git (config `git.commit`, env AGENTSTATE_COMMIT). */
export const COMMIT_MODES = ['each', 'squash', 'with-code', 'off'] as const;
export type CommitMode = (typeof COMMIT_MODES)[number];

/** The config.yaml that `init` writes; a file still equal to it is read without a YAML parser. */
export const DEFAULT_CONFIG_TEXT = `# agentstate settings. Edit by hand; unknown keys are kept.
schema: 1
git:
  commit: each          # each: one commit per change; squash: amend the last agentstate commit within squash_window;
                        # with-code: no commit of ours, the state joins your next commit; off: files only
  squash_window: 10m    # how young the last agentstate commit must be to be amended (squash)
  sign: auto            # auto: sign when your git config does (commit.gpgSign); never; always
lock:
  timeout_ms: 10000     # how long a command waits for the state lock before exit 5
  stale_ms: 30000       # a lock held by another host for longer is broken (a live process on this host: never)
limits:
  field_bytes: 4096     # a larger field is refused; use --attach FILE
  attach_bytes: 5242880 # a larger --attach FILE is refused (5 MiB); use git LFS or a link
archive:
  seal_bytes: 262144    # an append-only log larger than this is sealed into archive/ (256 KiB)
boot:
  budget: 1500          # tokens for the AGENTS.md block
decisions:
  recent: 10            # recent decisions kept in decisions-index.yaml
runtime:
  heartbeat_stale_minutes: 60   # resume warns when the heartbeat is older
  types: {}             # optional field types for \`state set\`, e.g. {phase: string, attempts: number}
backlog:
  lease_minutes: 60     # a claim is a lease: renewed by heartbeat and by the owner's writes; expired, the task is claimable again
sync:
  after_write: false    # true (or env AGENTSTATE_SYNC=1): every write command runs \`agentstate sync\` after its commit
  tries: 10             # pushes sync tries when the remote keeps moving (with jittered back-off) before it gives up
resume:
  timeout_ms: 2000      # resume and boot stop reading here and print what they have
`;

/** The text version 0.1 wrote (1 MiB seals, the default then): read by the simple reader, without the YAML library. */
export const DEFAULT_CONFIG_TEXT_0_1 = `# agentstate settings. Edit by hand; unknown keys are kept.
schema: 1
git:
  commit: true          # record every change as a git commit (false: files only)
lock:
  timeout_ms: 10000     # how long a command waits for the state lock before exit 5
  stale_ms: 30000       # a lock older than this is broken (a dead holder's lock is broken at once)
limits:
  field_bytes: 4096     # a larger field is refused; use --attach FILE
archive:
  seal_bytes: 1048576   # an append-only log larger than this is sealed into archive/
boot:
  budget: 1500          # tokens for the AGENTS.md block
decisions:
  recent: 10            # recent decisions kept in decisions-index.yaml
runtime:
  heartbeat_stale_minutes: 60   # resume warns when the heartbeat is older
  types: {}             # optional field types for \`state set\`, e.g. {phase: string, attempts: number}
`;

/**
 * True when config.yaml holds the default text `init` writes (line ends and a byte-order mark as a
 * Windows checkout may leave them): it means the defaults, with nothing to parse. The texts earlier
 * versions wrote (with `seal_bytes: 1048576`, the default before 256 KiB) are parsed as any other,
 * so that they keep meaning what they say.
 */
export function isDefaultConfigText(text: string): boolean {
  return text.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n') === DEFAULT_CONFIG_TEXT;
}

type Plain = Record<string, unknown>;
const isPlain = (value: unknown): value is Plain => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Defaults overlaid with what the file sets; unknown keys are kept. */
export function mergeConfig(base: Plain, override: unknown): Plain {
  if (!isPlain(override)) return base;
  const out: Plain = { ...base };
  for (const [key, value] of Object.entries(override)) {
    out[key] = isPlain(value) && isPlain(base[key]) ? mergeConfig(base[key] as Plain, value) : value;
  }
  return out;
}

/** Check the types of the settings we use; returns "key: problem" or undefined. */
export function configProblem(config: Plain): string | undefined {
  const checks: Array<[string, (value: unknown) => boolean, string]> = [
    ['git.commit', (v) => typeof v === 'boolean' || (COMMIT_MODES as readonly unknown[]).includes(v), `one of ${COMMIT_MODES.join(', ')}`],
    ['git.squash_window', (v) => durationMs(v) !== undefined, 'a duration such as 10m, 600s or 1h'],
    ['git.sign', (v) => v === 'auto' || v === 'never' || v === 'always', 'auto, never or always'],
    ['lock.timeout_ms', isCount, 'a whole number of milliseconds'],
    ['lock.stale_ms', isCount, 'a whole number of milliseconds'],
    ['limits.field_bytes', isCount, 'a whole number of bytes'],
    ['limits.attach_bytes', isCount, 'a whole number of bytes'],
    ['archive.seal_bytes', isCount, 'a whole number of bytes'],
    ['boot.budget', isCount, 'a whole number of tokens'],
    ['decisions.recent', isCount, 'a whole number'],
    ['runtime.heartbeat_stale_minutes', isCount, 'a whole number of minutes'],
    ['runtime.types', isPlain, 'a map of field name to type'],
    ['backlog.lease_minutes', (v) => isCount(v) && (v as number) > 0, 'a whole number of minutes, at least 1'],
    ['sync.after_write', (v) => typeof v === 'boolean', 'true or false'],
    ['sync.tries', (v) => isCount(v) && (v as number) > 0, 'a whole number, at least 1'],
    ['resume.timeout_ms', isCount, 'a whole number of milliseconds'],
  ];
  if (config.min_writer !== undefined && !isVersion(config.min_writer)) return 'min_writer: must be a version such as "0.3.0" (quoted)';
  for (const [path, ok, what] of checks) {
    const value = path.split('.').reduce<unknown>((node, key) => (isPlain(node) ? node[key] : undefined), config);
    if (!ok(value)) return `${path}: must be ${what}`;
  }
  return undefined;
}

function isCount(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

/** A duration setting in ms: a number of minutes, or 30s / 10m / 2h. */
export function durationMs(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value * 60_000;
  const match = typeof value === 'string' ? /^(\d+)\s*(s|m|h)$/.exec(value.trim()) : null;
  if (!match) return undefined;
  return Number(match[1]) * { s: 1_000, m: 60_000, h: 3_600_000 }[match[2] as 's' | 'm' | 'h'];
}

/** The commit mode in force: AGENTSTATE_COMMIT, else git.commit (true means each, false off). */
export function commitMode(config: Config, env: NodeJS.ProcessEnv = process.env): CommitMode {
  const override = env.AGENTSTATE_COMMIT;
  if (override && (COMMIT_MODES as readonly string[]).includes(override)) return override as CommitMode;
  const setting = config.git.commit;
  return setting === true ? 'each' : setting === false ? 'off' : setting;
}
