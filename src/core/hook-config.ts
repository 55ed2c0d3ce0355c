/**
 * Add agentstate's steps to a hook manager's YAML config as text: the user's file keeps every
 * byte, comment and indentation it had; our lines are inserted where the manager looks for them.
 * Where the file's shape makes an edit unsafe (flow style, an unexpected type), nothing is
 * changed and the caller prints the snippet instead. Pure: text in, text out (the `yaml` module
 * is loaded lazily, only by `hooks install`).
 */
import type * as YamlNamespace from 'yaml';
import { launcherCommand } from './launcher.js';

export type HookName = 'pre-commit' | 'post-merge' | 'post-rewrite';

export interface HookStep {
  hook: HookName;
  /** The manager's name for the step (lefthook command or job name, pre-commit hook id). */
  name: string;
  /** agentstate's arguments, e.g. `check --staged`. */
  args: string;
}

/** The shell command of a step: agentstate resolved when the hook runs. */
export const stepCommand = (step: Pick<HookStep, 'args'>) => launcherCommand(step.args);

export type ConfigEdit = { text: string; added: HookStep[] } | { unsafe: string };

type YamlModule = typeof YamlNamespace;
type Node = { range?: [number, number, number] | null; flow?: boolean; items?: unknown[] };
type Pair = { key: unknown; value: unknown };

async function loadYaml(): Promise<YamlModule> {
  // yaml is CommonJS under Node: in the bundle its names hang off the default export.
  const loaded = await import('yaml');
  return ('default' in loaded && loaded.default ? loaded.default : loaded) as YamlModule;
}

const quoted = (text: string) => JSON.stringify(text); // a JSON string is a valid YAML double-quoted scalar
const keyOf = (yaml: YamlModule, pair: Pair) => (yaml.isScalar(pair.key) ? String(pair.key.value) : undefined);
const pairNamed = (yaml: YamlModule, map: Node, key: string) => (map.items as Pair[]).find((pair) => keyOf(yaml, pair) === key);
const columnAt = (text: string, offset: number) => offset - (text.lastIndexOf('\n', offset - 1) + 1);
const isBlock = (node: Node | null | undefined): node is Node => !!node && !!node.range && !node.flow;

interface Insertion {
  at: number;
  text: string;
}

/** A block ends after its last line break, or at the end of a file without a final newline. */
function afterBlock(text: string, node: Node, lines: string[]): Insertion {
  const at = node.range![1];
  const body = lines.map((line) => `${line}\n`).join('');
  return { at, text: text[at - 1] === '\n' ? body : `\n${body}` };
}

function apply(text: string, insertions: Insertion[], appended: string[]): string {
  let out = text;
  for (const insertion of [...insertions].sort((a, b) => b.at - a.at)) out = out.slice(0, insertion.at) + insertion.text + out.slice(insertion.at);
  if (appended.length === 0) return out;
  const separator = out === '' ? '' : out.endsWith('\n') ? '\n' : '\n\n';
  return `${out}${separator}${appended.join('\n')}`;
}

async function parse(text: string): Promise<{ yaml: YamlModule; root: Node | undefined } | { unsafe: string }> {
  const yaml = await loadYaml();
  const doc = yaml.parseDocument(text);
  if (doc.errors.length) return { unsafe: `not valid YAML (${doc.errors[0]!.message.split('\n')[0]})` };
  const root = doc.contents as Node | null;
  if (root === null || (yaml.isScalar(root) && (root as { value: unknown }).value === null)) return { yaml, root: undefined };
  if (!yaml.isMap(root) || !isBlock(root)) return { unsafe: 'the top level is not a block mapping' };
  return { yaml, root };
}

/** Does the text of this node already run the step's command? (A hand-added step counts.) */
const mentions = (text: string, node: Node | undefined, step: HookStep) =>
  !!node?.range && text.slice(node.range[0], node.range[2]).includes(`agentstate ${step.args}`);

/** lefthook.yml: a `commands` entry (or a `jobs` item when the hook uses jobs) per step. */
export async function withLefthookSteps(text: string, steps: HookStep[]): Promise<ConfigEdit> {
  const parsed = await parse(text);
  if ('unsafe' in parsed) return parsed;
  const { yaml, root } = parsed;
  const insertions: Insertion[] = [];
  const appended: string[] = [];
  const added: HookStep[] = [];
  const rootIndent = root ? ' '.repeat(columnAt(text, root.range![0])) : '';
  for (const step of steps) {
    const pair = root ? pairNamed(yaml, root, step.hook) : undefined;
    const entry = (indent: string) => [`${indent}${step.name}:`, `${indent}  run: ${quoted(stepCommand(step))}`];
    if (!pair) {
      appended.push([`${rootIndent}${step.hook}:`, `${rootIndent}  commands:`, ...entry(`${rootIndent}    `)].join('\n') + '\n');
      added.push(step);
      continue;
    }
    const hook = pair.value as Node | null;
    if (!yaml.isMap(hook) || !isBlock(hook)) return { unsafe: `\`${step.hook}\` is not a block mapping` };
    if (mentions(text, hook, step)) continue;
    const hookIndent = ' '.repeat(columnAt(text, hook.range![0]));
    const commands = pairNamed(yaml, hook, 'commands')?.value as Node | undefined;
    const jobs = pairNamed(yaml, hook, 'jobs')?.value as Node | undefined;
    if (commands) {
      if (!yaml.isMap(commands) || !isBlock(commands)) return { unsafe: `\`${step.hook}.commands\` is not a block mapping` };
      if (pairNamed(yaml, commands, step.name)) continue;
      insertions.push(afterBlock(text, commands, entry(' '.repeat(columnAt(text, commands.range![0])))));
    } else if (jobs) {
      if (!yaml.isSeq(jobs) || !isBlock(jobs)) return { unsafe: `\`${step.hook}.jobs\` is not a block sequence` };
      const indent = ' '.repeat(columnAt(text, jobs.range![0]));
      insertions.push(afterBlock(text, jobs, [`${indent}- name: ${step.name}`, `${indent}  run: ${quoted(stepCommand(step))}`]));
    } else {
      insertions.push(afterBlock(text, hook, [`${hookIndent}commands:`, ...entry(`${hookIndent}  `)]));
    }
    added.push(step);
  }
  return { text: apply(text, insertions, appended), added };
}

/**
 * .pre-commit-config.yaml: one `repo: local` item with a hook per step name (steps that share a
 * name share the hook, their hook types as its stages). The check runs only when state files are
 * staged (`files`); the post-merge/post-rewrite step always runs.
 */
export async function withPreCommitSteps(text: string, steps: HookStep[], stateFilesPattern: string): Promise<ConfigEdit> {
  const parsed = await parse(text);
  if ('unsafe' in parsed) return parsed;
  const { yaml, root } = parsed;
  const repos = root ? (pairNamed(yaml, root, 'repos')?.value as Node | undefined) : undefined;
  if (!repos || !yaml.isSeq(repos) || !isBlock(repos) || !repos.items?.length) return { unsafe: '`repos` is not a block sequence' };
  const present = text.slice(repos.range![0], repos.range![2]);
  const missing = steps.filter((step) => !present.includes(`id: ${step.name}`) && !mentions(text, repos, step));
  if (missing.length === 0) return { text, added: [] };
  const indent = ' '.repeat(columnAt(text, repos.range![0]));
  const lines = [`${indent}- repo: local`, `${indent}  hooks:`];
  const field = (line: string) => `${indent}      ${line}`;
  for (const name of new Set(missing.map((step) => step.name))) {
    const group = missing.filter((step) => step.name === name);
    const step = group[0]!;
    lines.push(`${indent}    - id: ${name}`, field(`name: agentstate ${step.args.split(' ')[0]}`), field(`entry: ${quoted(stepCommand(step))}`));
    lines.push(field('language: system'), field('pass_filenames: false'));
    if (step.hook === 'pre-commit') lines.push(field(`files: ${quoted(stateFilesPattern)}`));
    else lines.push(field('always_run: true'), field(`stages: [${group.map((member) => member.hook).join(', ')}]`));
  }
  return { text: apply(text, [afterBlock(text, repos, lines)], []), added: missing };
}

/** What `hooks install` adds: the staged check before a commit, derived files regenerated after a merge or rewrite. */
export const AGENTSTATE_STEPS: HookStep[] = [
  { hook: 'pre-commit', name: 'agentstate-check', args: 'check --staged' },
  { hook: 'post-merge', name: 'agentstate-boot', args: 'boot --quiet' },
  { hook: 'post-rewrite', name: 'agentstate-boot', args: 'boot --quiet' },
];

/** A regular expression for the pre-commit framework's `files`: the state folder and the boot file. */
export const stateFilesPattern = (stateDir: string, bootFile: string) => {
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return `^(${escape(stateDir)}/|${escape(bootFile)}$)`;
};
