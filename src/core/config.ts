/** Settings in .agentstate/config.yaml, with their defaults. */
export interface Config {
  schema: number;
  git: { commit: boolean };
  lock: { timeout_ms: number; stale_ms: number };
  limits: { field_bytes: number; attach_bytes: number };
  archive: { seal_bytes: number };
  boot: { budget: number };
  decisions: { recent: number };
  runtime: { heartbeat_stale_minutes: number; types: Record<string, string> };
}

export const DEFAULT_CONFIG: Config = {
  schema: 1,
  git: { commit: true },
  lock: { timeout_ms: 10_000, stale_ms: 30_000 },
  limits: { field_bytes: 4096, attach_bytes: 5_242_880 },
  archive: { seal_bytes: 1_048_576 },
  boot: { budget: 1500 },
  decisions: { recent: 10 },
  runtime: { heartbeat_stale_minutes: 60, types: {} },
};

/** The config.yaml that `init` writes; a file still equal to it is read without a YAML parser. */
export const DEFAULT_CONFIG_TEXT = `# agentstate settings. Edit by hand; unknown keys are kept.
schema: 1
git:
  commit: true          # record every change as a git commit (false: files only)
lock:
  timeout_ms: 10000     # how long a command waits for the state lock before exit 5
  stale_ms: 30000       # a lock older than this is broken (a dead holder's lock is broken at once)
limits:
  field_bytes: 4096     # a larger field is refused; use --attach FILE
  attach_bytes: 5242880 # a larger --attach FILE is refused (5 MiB); use git LFS or a link
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

/** The defaults `init` wrote before `limits.attach_bytes` existed: still the defaults. */
const EARLIER_DEFAULT_TEXTS = [DEFAULT_CONFIG_TEXT.replace(/\n {2}attach_bytes: .*\n/, '\n')];

/**
 * True when config.yaml holds a default text `init` wrote (line ends and a byte-order mark as a
 * Windows checkout may leave them): it is read without loading a YAML parser.
 */
export function isDefaultConfigText(text: string): boolean {
  const plain = text.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n');
  return plain === DEFAULT_CONFIG_TEXT || EARLIER_DEFAULT_TEXTS.includes(plain);
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
    ['git.commit', (v) => typeof v === 'boolean', 'true or false'],
    ['lock.timeout_ms', isCount, 'a whole number of milliseconds'],
    ['lock.stale_ms', isCount, 'a whole number of milliseconds'],
    ['limits.field_bytes', isCount, 'a whole number of bytes'],
    ['limits.attach_bytes', isCount, 'a whole number of bytes'],
    ['archive.seal_bytes', isCount, 'a whole number of bytes'],
    ['boot.budget', isCount, 'a whole number of tokens'],
    ['decisions.recent', isCount, 'a whole number'],
    ['runtime.heartbeat_stale_minutes', isCount, 'a whole number of minutes'],
    ['runtime.types', isPlain, 'a map of field name to type'],
  ];
  for (const [path, ok, what] of checks) {
    const value = path.split('.').reduce<unknown>((node, key) => (isPlain(node) ? node[key] : undefined), config);
    if (!ok(value)) return `${path}: must be ${what}`;
  }
  return undefined;
}

function isCount(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}
