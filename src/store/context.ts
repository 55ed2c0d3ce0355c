import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { userInfo } from 'node:os';
import { COMMIT_MODES, DEFAULT_CONFIG, DEFAULT_CONFIG_TEXT, DEFAULT_CONFIG_TEXT_0_1, commitMode, configProblem, mergeConfig, type CommitMode, type Config } from '../core/config.js';
import { AgentstateError, Exit, notInitialisedError, sparseCheckoutError, unreadableError } from '../errors.js';
import { excludedBySparseCheckout, findRepo, type Repo } from '../git/repo.js';
import { readGitSettings } from '../git/config-file.js';
import { git } from '../git/run.js';
import { FILES, STATE_DIR } from './layout.js';
import { parseSimpleYaml } from '../core/simple-yaml.js';
import { parseYamlStrict } from './yaml-safe.js';

export interface GlobalOptions {
  dir?: string;
  json?: boolean;
  quiet?: boolean;
  agent?: string;
  commit?: boolean; // false with --no-commit
  allowSecret?: boolean;
  /** Set by the CLI edge: print a progress line on stderr now (not with --json or --quiet). */
  notify?: (line: string) => void;
}

/** Everything a command needs to know about where the state is and how to record it. */
export class StateContext {
  readonly stateDir: string;
  readonly warnings: string[] = [];
  private agentName?: string;

  constructor(
    readonly root: string,
    readonly repo: Repo | undefined,
    readonly config: Config,
    readonly options: GlobalOptions,
  ) {
    this.stateDir = join(root, STATE_DIR);
  }

  /** Absolute path of a file in the state directory. */
  path(...parts: string[]): string {
    return join(this.stateDir, ...parts);
  }

  /** A path as shown to people and written to git: relative to the repo (or project) root. */
  display(absolute: string): string {
    return relative(this.repo?.root ?? this.root, absolute).split(sep).join('/');
  }

  get initialised(): boolean {
    return existsSync(this.path(FILES.config));
  }

  requireInit(): void {
    if (this.initialised) return;
    if (this.repo && existsSync(join(this.repo.gitDir, 'info', 'sparse-checkout'))) {
      if (excludedBySparseCheckout(this.repo.root, [this.display(this.path(FILES.config))])) throw sparseCheckoutError(this.display(this.stateDir));
    }
    throw notInitialisedError(this.stateDir);
  }

  warn(message: string): void {
    this.warnings.push(message);
  }

  /** A line for the person waiting, right now (a lock wait), not at the end with the warnings. */
  notify(line: string): void {
    this.options.notify?.(line);
  }

  /** --agent, else AGENTSTATE_AGENT, else git user.name, else $USER (SPEC section 2). */
  agent(): string {
    if (this.agentName) return this.agentName;
    const fromGit = () => {
      const settings = readGitSettings(this.repo);
      if (settings !== null) return settings.get('user.name') ?? '';
      return this.repo ? git(this.repo.root, ['config', 'user.name']).stdout.trim() : '';
    };
    const fromUser = () => {
      try {
        return process.env.USER || userInfo().username;
      } catch {
        return '';
      }
    };
    this.agentName = this.options.agent || process.env.AGENTSTATE_AGENT || fromGit() || fromUser() || 'unknown';
    return this.agentName;
  }

  session(): string | undefined {
    return process.env.AGENTSTATE_SESSION || undefined;
  }

  /** How this command records its changes: --no-commit, else AGENTSTATE_COMMIT, else git.commit. */
  get commitMode(): CommitMode {
    if (this.options.commit === false) return 'off';
    const override = process.env.AGENTSTATE_COMMIT;
    if (override && !(COMMIT_MODES as readonly string[]).includes(override)) {
      throw new AgentstateError(Exit.usage, `AGENTSTATE_COMMIT: "${override}" is not one of ${COMMIT_MODES.join(', ')}`, 'nothing was written');
    }
    return commitMode(this.config);
  }
}

/** The project root: --dir, else AGENTSTATE_DIR, else the nearest directory with state or git. */
export function findRoot(options: GlobalOptions): string {
  const explicit = options.dir ?? process.env.AGENTSTATE_DIR;
  if (explicit) return resolve(explicit);
  let dir = resolve(process.cwd());
  for (;;) {
    if (existsSync(join(dir, STATE_DIR)) || existsSync(join(dir, '.git'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return resolve(process.cwd());
    dir = parent;
  }
}

/**
 * `tolerateConfig`: the commands that repair (doctor, restore) must run when config.yaml itself is
 * damaged; they use the defaults and say so.
 */
export async function openContext(options: GlobalOptions, { requireInit = true, tolerateConfig = false } = {}): Promise<StateContext> {
  const root = findRoot(options);
  const repo = findRepo(root);
  let config = DEFAULT_CONFIG;
  let configError: string | undefined;
  try {
    config = await loadConfig(join(root, STATE_DIR, FILES.config));
  } catch (error) {
    if (!tolerateConfig || !(error instanceof AgentstateError)) throw error;
    configError = error.message;
  }
  const context = new StateContext(root, repo, config, options);
  if (configError) context.warn(`${configError}; using the default settings`);
  if (requireInit) context.requireInit();
  return context;
}

/** Read config.yaml; a file still equal to the default is read without loading a YAML parser. */
export async function loadConfig(path: string): Promise<Config> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return DEFAULT_CONFIG;
  }
  if (text === DEFAULT_CONFIG_TEXT || text === DEFAULT_CONFIG_TEXT_0_1) return DEFAULT_CONFIG;
  const display = `${STATE_DIR}/${FILES.config}`;
  let value: unknown = parseSimpleYaml(text);
  if (value === undefined) {
    value = (await parseYamlStrict(text, display)).value;
    if (value !== null && (typeof value !== 'object' || Array.isArray(value))) throw unreadableError(display, 1, 'expected a mapping of settings');
  }
  const merged = mergeConfig(DEFAULT_CONFIG as unknown as Record<string, unknown>, value ?? {});
  const problem = configProblem(merged);
  if (problem) throw new AgentstateError(Exit.usage, `${display}: ${problem}`, 'fix the setting in config.yaml');
  return merged as unknown as Config;
}
