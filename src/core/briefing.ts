import { checkReserve, type CheckedLines } from './boot-checks.js';
import type { DecisionView } from './decisions.js';
import { describeExpectation } from './expectations.js';
import type { LearningView } from './learnings.js';
import type { Task } from './schemas.js';
import type { BlockedTask, InProgressTask } from './task-board.js';
import { inlineText } from './text.js';
import { matchesAll, queryWords } from './search-text.js';
import { inFuture } from './merge-runtime.js';

/**
 * The resume briefing and the AGENTS.md block: one renderer over one snapshot of the state.
 * Pure: the store builds the snapshot, this turns it into text that fits a budget.
 */
export interface Handoff {
  id: string;
  at: string;
  agent: string;
  done: string[];
  remaining: string[];
  uncertain: string[];
  note?: string;
}

export interface EventView {
  id: string;
  at: string;
  type: string;
  agent: string;
  summary?: string;
  ref?: string;
}

export interface RuntimeView {
  version: number;
  updated_at?: string;
  updated_by?: string;
  heartbeat_at?: string;
  fields: Record<string, unknown>;
}

export interface Snapshot {
  generatedAt: string;
  repo: { name: string; branch?: string; head?: string };
  handoff?: Handoff;
  openDecisions: DecisionView[];
  standing: DecisionView[];
  runtime?: RuntimeView;
  /** Claimed tasks, with their owner and whether the owner is still around. */
  inProgress: InProgressTask[];
  /** Tasks marked blocked or waiting on unfinished dependencies, with what blocks them. */
  blocked: BlockedTask[];
  /** Ready tasks: open, every dependency done, best first. */
  nextTasks: Task[];
  recentDecisions: DecisionView[];
  recentEvents: EventView[];
  warnings: string[];
  /** State commits after the latest handoff's commit: how much happened since the last session ended. */
  commitsSinceHandoff?: number;
  /** The live learnings most relevant to this session, best first (already cut to the count shown). */
  learnings?: LearningView[];
  /** What could not be read (damage, a git failure) or was not read in time: the briefing says so. */
  incomplete?: Incomplete;
  /** How changes are recorded in git, and how many state files wait for a commit. */
  /** The commit mode; the state files waiting for a commit and how many changes they hold. */
  recording?: { mode: string; pending: number; changes?: number };
}

export interface Incomplete {
  /** The parts of the briefing that are missing, in words. */
  missing: string[];
  /** The time limit (ms) ran out before everything was read. */
  timedOutAfterMs?: number;
}

interface Section {
  key: string;
  title: string;
  items: string[];
  /** Lower is cut first when over budget. */
  rank: number;
  /** Never cut silently: when items must go, a visible line says how many. */
  guarded?: boolean;
  /** The items are only a "none" line: it may give way to the budget without being counted as cut. */
  empty?: boolean;
  intro?: string;
  /** Items at the end never rendered: the budget cuts them whatever else the text holds (see `within`). */
  unrendered?: number;
}

export interface Rendered {
  text: string;
  cut: Record<string, number>;
}

const day = (iso: string | undefined) => (iso ? iso.slice(0, 10) : '?');
/** Record text on one line, with terminal escapes and other hidden characters shown, not obeyed. */
const oneLine = inlineText;

function ago(iso: string | undefined, now: number): string {
  if (!iso) return 'never';
  const minutes = Math.round((now - Date.parse(iso)) / 60000);
  if (!Number.isFinite(minutes)) return '?';
  // A clock ahead of ours (or a forged date) is shown for what it is, never as "just now".
  if (inFuture(iso, now)) return `in the future (${oneLine(iso)})`;
  if (minutes < 1) return 'just now';
  if (minutes < 120) return `${minutes}m ago`;
  if (minutes < 48 * 60) return `${Math.round(minutes / 60)}h ago`;
  return `${Math.round(minutes / 1440)}d ago`;
}

function decisionLine(view: DecisionView, when: string): string {
  const action = view.action ? `; action: ${oneLine(view.action)}` : '';
  const tags = view.tags.length ? ` [${oneLine(view.tags.join(', '))}]` : '';
  return `- ${oneLine(view.id)} **${oneLine(view.title)}** (${when}, ${oneLine(view.agent)})${tags} — why: ${oneLine(view.why)}${action}`;
}

/**
 * What an open decision expects, and in resume what was found. The boot block lists the
 * expectations here; what a check found goes in the room `bootCheckSlot` sets aside (see
 * core/boot-checks.ts: a snapshot, stamped, that no freshness check compares with the live verdict).
 */
function expectationLines(view: DecisionView, mode: 'resume' | 'boot'): string {
  if (!view.expect?.length) return '';
  if (mode === 'boot' || !view.check) {
    return `\n  - expects: ${view.expect.map((expect) => oneLine(describeExpectation(expect))).join('; ')} — check with \`agentstate decisions --open\``;
  }
  const results = view.check.results.map(
    (result) => `\n    - ${result.met ? 'met' : 'not met'}: ${oneLine(describeExpectation(result.expect))} — ${oneLine(result.evidence ?? result.reason ?? '')}`,
  );
  return `\n  - check: ${view.check.label}${results.join('')}`;
}

/** Where a decision's check snapshot goes in the boot block, until the budget is settled. */
interface CheckSlot {
  view: DecisionView;
  line: string;
  reserve: number;
}

/** A line of exactly the reserved size (with its line end) standing for the snapshot while the budget is spent. */
function bootCheckSlot(view: DecisionView, line: string, slots: CheckSlot[]): string {
  if (!view.expect?.length) return '';
  const reserve = checkReserve(view.expect);
  const mark = `\n\u0000${slots.length}\u0000`;
  slots.push({ view, line, reserve });
  return mark + ' '.repeat(Math.max(0, reserve - Buffer.byteLength(mark)));
}

/** The slots that survived the budget, replaced by what the checks found (or by nothing). */
function fillCheckSlots(text: string, slots: CheckSlot[], checked: CheckedLines | undefined): string {
  if (slots.length === 0) return text;
  // eslint-disable-next-line no-control-regex
  return text.replace(/\n\u0000(\d+)\u0000 *(?=\n|$)/g, (_, index: string) => {
    const slot = slots[Number(index)]!;
    const lines = checked?.(slot.view, slot.line);
    if (!lines?.length) return '';
    const filled = `\n${lines.join('\n')}`;
    return Buffer.byteLength(filled) <= slot.reserve ? filled : '';
  });
}

function openDecisionItem(view: DecisionView, when: string, mode: 'resume' | 'boot', slots: CheckSlot[]): string {
  const line = decisionLine(view, when);
  return line + expectationLines(view, mode) + (mode === 'boot' ? bootCheckSlot(view, line, slots) : '');
}

function learningLine(view: LearningView, when: string): string {
  const tags = view.tags.length ? ` [${oneLine(view.tags.join(', '))}]` : '';
  const refs = view.refs.length ? ` (${view.refs.map(oneLine).join(', ')})` : '';
  const confirmed = view.confirmations ? `, confirmed ${view.confirmations}×` : '';
  return `- ${oneLine(view.id)} ${oneLine(view.category)}: ${oneLine(view.text)}${tags}${refs} (${when}${confirmed})`;
}

/** The boot block lists this many learnings (resume lists more). */
export const BOOT_LEARNINGS = 5;
export const RESUME_LEARNINGS = 10;

function taskLine(task: Task): string {
  const extra = [task.epic ? `epic ${task.epic}` : '', task.owner ? `owner ${task.owner}` : ''].filter(Boolean).join(', ');
  return `- ${oneLine(task.id)} [${oneLine(task.priority)}] ${oneLine(task.title)}${extra ? ` (${oneLine(extra)})` : ''}`;
}

/** A claimed task: who holds it since when; in resume, whether the owner is still around. */
function inProgressLine(task: InProgressTask, mode: 'resume' | 'boot', now: number): string {
  const head = `- ${oneLine(task.id)} [${oneLine(task.priority)}] ${oneLine(task.title)} — ${oneLine(task.owner || 'no owner')}`;
  if (mode === 'boot') return `${head} since ${day(task.since)}`;
  const activity = task.lastActivity ? `last active ${ago(task.lastActivity, now)}` : 'no activity known';
  if (!task.stale) return `${head} since ${ago(task.since, now)}; ${activity}`;
  return `${head} since ${ago(task.since, now)}; STALE: ${activity}, the owner may be gone (\`agentstate backlog release ${oneLine(task.id)} --force\` frees it)`;
}

function blockedLine(task: BlockedTask): string {
  const waits = task.blockedBy.map((blocker) => `${oneLine(blocker.id)} (${blocker.status === 'unknown' ? 'no such task' : blocker.status})`).join(', ');
  const marked = task.marked ? `marked blocked${task.note ? `: ${oneLine(task.note)}` : ''}` : '';
  const why = [marked, waits ? `waits on ${waits}` : ''].filter(Boolean).join('; ');
  return `- ${oneLine(task.id)} [${oneLine(task.priority)}] ${oneLine(task.title)} — ${why}`;
}

function handoffItems(handoff: Handoff): string[] {
  const list = (label: string, items: string[]) => (items.length ? [`${label}:`, ...items.map((item) => `  - ${oneLine(item)}`)] : []);
  return [
    ...list('Done', handoff.done),
    ...list('Remaining', handoff.remaining),
    ...list('Uncertain', handoff.uncertain),
    ...(handoff.note ? [`Note: ${oneLine(handoff.note)}`] : []),
  ];
}

/** The boot block lists this many tasks of each kind (resume lists more). */
export const BOOT_TASKS = 5;

export const RECORDING_HELP = [
  '- Before you act: `agentstate decide "<what>" --why "<why>"`; after: `agentstate outcome <id> done|failed|abandoned`',
  '- What happened: `agentstate log "<summary>" [--type T] [--ref PATH]`; a control that caught something: `agentstate catch <control> <what>`',
  '- Tasks: `agentstate backlog next --claim`, `agentstate backlog update <id> --status done`',
  '- Runtime state: `agentstate state set key=value`; before you stop: `agentstate handoff --done … --remaining …`',
  '- A lesson for later sessions: `agentstate learn "<lesson>" --tag T`; what the work will leave behind: `agentstate decide … --expect file:PATH`',
];

export const STATE_FILE_MAP = [
  '- `.agentstate/events.yaml` — event log (append-only)',
  '- `.agentstate/decisions.yaml` — decision chain (append-only); `decisions-index.yaml` is derived',
  '- `.agentstate/backlog.yaml` — tasks; `.agentstate/runtime.json` — runtime state',
  '- `.agentstate/catch-log.tsv` — controls that caught something; `.agentstate/config.yaml` — settings',
  '- `.agentstate/learnings.yaml` — lessons learned (append-only; `agentstate learnings`)',
];

/** What a section's items are called when the budget cuts some (the words a reader sees). */
const ITEM_NAMES: Record<string, string> = {
  handoff: 'handoff lines',
  open: 'open decisions',
  standing: 'standing orders',
  runtime: 'runtime fields',
  inProgress: 'tasks in progress',
  blocked: 'blocked tasks',
  tasks: 'ready tasks',
  decisions: 'recent decisions',
  events: 'recent events',
  warnings: 'warnings',
  learnings: 'learnings',
  files: 'state file lines',
  help: 'lines of recording help',
};

/**
 * The render cuts by arithmetic while the text is more than this many bytes over the budget, and
 * draws the text again to measure it only nearer.
 */
const REDRAW_MARGIN = 200;

/**
 * The first items, rendered one by one until they alone take more than `room` bytes; the rest are
 * only counted. Used for the open decisions (the section the budget cuts last, from its end): an
 * item after the first ones that pass the budget plus the redraw margin is always cut, and the
 * cutting runs alike whether it was rendered or not, so the text is the same byte for byte while
 * the cost no longer grows with the number of open decisions (1,100 of them took ~3 ms per write).
 */
function within<T>(values: T[], room: number, item: (value: T) => string): { items: string[]; unrendered: number } {
  const items: string[] = [];
  let bytes = 0;
  for (const value of values) {
    if (bytes > room) break;
    const line = item(value);
    items.push(line);
    bytes += Buffer.byteLength(line) + 1;
  }
  return { items, unrendered: values.length - items.length };
}

function sectionsOf(snapshot: Snapshot, mode: 'resume' | 'boot', now: number, slots: CheckSlot[], limit: number): Section[] {
  const when = (iso: string) => (mode === 'boot' ? day(iso) : ago(iso, now));
  const few = <T>(items: T[]) => (mode === 'boot' ? items.slice(0, BOOT_TASKS) : items);
  const sections: Section[] = [];
  const { handoff } = snapshot;
  if (handoff) {
    sections.push({
      key: 'handoff',
      title: `Latest handoff (${when(handoff.at)}, ${oneLine(handoff.agent)}, ${oneLine(handoff.id)})`,
      items: handoffItems(handoff),
      rank: 6,
    });
  }
  const open = within(snapshot.openDecisions, limit + REDRAW_MARGIN, (view) => openDecisionItem(view, when(view.at), mode, slots));
  sections.push({
    key: 'open',
    title: 'Open decisions',
    intro: snapshot.openDecisions.length
      ? 'Written but without an outcome: interrupted work. Finish or close each before starting anything new.'
      : undefined,
    items: snapshot.openDecisions.length ? open.items : ['- none'],
    unrendered: open.unrendered,
    empty: snapshot.openDecisions.length === 0,
    rank: 10,
    guarded: true,
  });
  sections.push({
    key: 'standing',
    title: 'Standing orders',
    items: snapshot.standing.length ? snapshot.standing.map((view) => decisionLine(view, when(view.at))) : ['- none'],
    empty: snapshot.standing.length === 0,
    rank: 9,
    guarded: true,
  });
  if (mode === 'resume' && snapshot.runtime) {
    const runtime = snapshot.runtime;
    const fields = Object.entries(runtime.fields).map(([key, value]) => `- ${oneLine(key)}: ${oneLine(JSON.stringify(value))}`);
    sections.push({
      key: 'runtime',
      title: `Runtime state (version ${runtime.version}, updated ${ago(runtime.updated_at, now)}${runtime.updated_by ? ` by ${oneLine(runtime.updated_by)}` : ''}; heartbeat ${ago(runtime.heartbeat_at, now)})`,
      items: fields.length ? fields : ['- no fields'],
      rank: 5,
    });
  }
  sections.push({
    key: 'inProgress',
    title: 'In progress',
    items: few(snapshot.inProgress).map((task) => inProgressLine(task, mode, now)),
    rank: 8,
  });
  sections.push({ key: 'blocked', title: 'Blocked', items: few(snapshot.blocked).map(blockedLine), rank: 3 });
  sections.push({
    key: 'tasks',
    title: 'Ready tasks',
    items: snapshot.nextTasks.length ? few(snapshot.nextTasks).map(taskLine) : ['- none ready'],
    empty: snapshot.nextTasks.length === 0,
    rank: 4,
  });
  if (snapshot.learnings?.length) {
    sections.push({
      key: 'learnings',
      title: 'Learnings',
      intro: 'Lessons from earlier sessions, most relevant first (all: `agentstate learnings`; still true: `agentstate learn --confirm <id>`).',
      items: (mode === 'boot' ? snapshot.learnings.slice(0, BOOT_LEARNINGS) : snapshot.learnings).map((view) => learningLine(view, when(view.confirmed_at ?? view.at))),
      rank: 3.5,
    });
  }
  if (mode === 'resume') {
    sections.push({
      key: 'decisions',
      title: 'Recent decisions',
      items: snapshot.recentDecisions.map((view) => `- ${oneLine(view.id)} [${oneLine(view.status)}] ${oneLine(view.title)} (${when(view.at)})`),
      rank: 2,
    });
    sections.push({
      key: 'events',
      title: 'Recent events',
      items: snapshot.recentEvents.map(
        (event) =>
          `- ${when(event.at)} ${oneLine(event.type)} ${oneLine(event.agent)}: ${oneLine(event.summary ?? '')}${event.ref ? ` (${oneLine(event.ref)})` : ''} ${oneLine(event.id)}`,
      ),
      rank: 1,
    });
    sections.push({ key: 'warnings', title: 'Warnings', items: snapshot.warnings.map((w) => `- ${oneLine(w)}`), rank: 7 });
  } else {
    sections.push({ key: 'files', title: 'State files', items: [...STATE_FILE_MAP], rank: 3 });
  }
  sections.push({ key: 'help', title: 'Recording state', items: [...RECORDING_HELP], rank: 0 });
  return sections.filter((section) => section.items.length > 0);
}

function header(snapshot: Snapshot, mode: 'resume' | 'boot'): string {
  const { repo } = snapshot;
  const where = `${repo.name}${repo.branch ? ` on ${oneLine(repo.branch)}` : ''}${repo.head ? ` @ ${repo.head.slice(0, 7)}` : ''}`;
  if (mode === 'boot') {
    return `## Agent state (agentstate)\n\nThis block is generated from \`.agentstate/\`; do not edit it. For the full, current briefing run \`agentstate resume\`. Rule: write state to a durable file before you act.\n`;
  }
  const count = snapshot.commitsSinceHandoff;
  const since = count === undefined ? '' : `${count} state commit${count === 1 ? '' : 's'} since the latest handoff.\n`;
  return `# Resume: ${where}\nGenerated ${snapshot.generatedAt} by agentstate. Rule: write state to a durable file before you act.\n${recordingLine(snapshot.recording)}${since}${incompleteNote(snapshot.incomplete)}`;
}

/** The commit mode, and what waits for a commit. */
function recordingLine(recording: Snapshot['recording']): string {
  if (!recording) return '';
  const { mode, pending, changes = 0 } = recording;
  const what = `${changes > 0 ? `${changes} change(s) in ` : ''}${pending} state file(s)`;
  const waiting = pending === 0 ? '' : mode === 'with-code' ? `; ${what} join your next commit` : `; ${what} not committed yet (\`agentstate commit\`)`;
  return `Commit mode: ${mode}${waiting}.\n`;
}

/** Said at the top, where a reader cannot miss it: this briefing is missing parts. */
function incompleteNote(incomplete: Incomplete | undefined): string {
  if (!incomplete || (incomplete.missing.length === 0 && incomplete.timedOutAfterMs === undefined)) return '';
  const time = incomplete.timedOutAfterMs !== undefined ? `stopped at the ${incomplete.timedOutAfterMs} ms time limit (resume.timeout_ms, --timeout)` : '';
  const missing = incomplete.missing.length ? `not shown: ${incomplete.missing.join(', ')}` : '';
  return `**Incomplete briefing**: ${[time, missing].filter(Boolean).join('; ')}. See Warnings; \`agentstate doctor\` checks the state files.\n`;
}

function cutLine(cut: Record<string, number>, budgetTokens: number | undefined): string {
  const cuts = Object.entries(cut).filter(([, n]) => n > 0);
  if (cuts.length === 0) return '';
  const what = cuts.map(([key, n]) => `${n} ${ITEM_NAMES[key] ?? key}`).join(', ');
  return `[Cut to fit the ${budgetTokens ?? ''}-token budget: ${what}. Run \`agentstate resume --full\` to see everything.]\n`;
}

function renderSections(head: string, sections: Section[], level: string, cut: Record<string, number>, budgetTokens: number | undefined): string {
  const parts = [head];
  for (const section of sections) {
    const lines = [...section.items];
    const dropped = cut[section.key] ?? 0;
    if (lines.length === 0 && dropped === 0) continue;
    if (dropped > 0 && section.guarded) lines.push(`- … ${dropped} more not shown (budget): run \`agentstate resume --full\``);
    if (lines.length === 0) continue;
    parts.push(`${level} ${section.title}\n${section.intro && section.items.length ? `${section.intro}\n` : ''}${lines.join('\n')}\n`);
  }
  const note = cutLine(cut, budgetTokens);
  if (note) parts.push(note);
  return parts.join('\n');
}

export interface RenderOptions {
  mode: 'resume' | 'boot';
  budgetTokens?: number;
  now?: number;
  checked?: CheckedLines;
  /** Draw every open decision, even those the budget cuts anyway: the slow way `within` must agree with (its test). */
  drawEvery?: boolean;
}

/**
 * Render within `budgetTokens` (bytes/4): cut the lowest-value items first; guarded sections (open
 * decisions, standing orders) only ever lose items with a visible line saying so. The result never
 * exceeds the budget. In the boot block, `checked` gives the check snapshot of an open decision
 * with expectations; the room for it is spent whether it is given or not (core/boot-checks.ts).
 */
export function render(snapshot: Snapshot, options: RenderOptions): Rendered {
  const now = options.now ?? Date.parse(snapshot.generatedAt);
  const slots: CheckSlot[] = [];
  const limit = options.budgetTokens === undefined ? Infinity : options.budgetTokens * 4;
  const sections = sectionsOf(snapshot, options.mode, now, slots, options.drawEvery ? Infinity : limit);
  const head = header(snapshot, options.mode);
  const level = options.mode === 'boot' ? '###' : '##';
  const cut: Record<string, number> = {};
  const draw = () => renderSections(head, sections, level, cut, options.budgetTokens);
  let text = draw();
  const order = [...sections].sort((a, b) => Number(a.guarded ?? false) - Number(b.guarded ?? false) || a.rank - b.rank);
  let size = Buffer.byteLength(text);
  while (size > limit) {
    const victim = order.find((section) => section.items.length > 0);
    if (!victim) break;
    // Cut by arithmetic while far over the budget (the text is long), drawing again only near it.
    const dropped = Buffer.byteLength(victim.items.pop()!) + 1;
    // A section's unrendered items are counted with its first cut item (they are always cut, and
    // before any redraw: `within`), so the cut line names the sections in the same order. Their
    // bytes were never in `size`, so they are not taken off: the arithmetic runs as over the whole list.
    if (!victim.empty) cut[victim.key] = (cut[victim.key] ?? victim.unrendered ?? 0) + 1;
    size -= dropped;
    if (size <= limit + REDRAW_MARGIN) {
      text = draw();
      size = Buffer.byteLength(text);
    }
  }
  text = draw();
  if (Buffer.byteLength(text) > limit) text = hardCut(text, limit);
  return { text: fillCheckSlots(text, slots, options.checked), cut };
}

/** Last resort when even the headings do not fit: whole lines, then a visible marker. */
function hardCut(text: string, limit: number): string {
  const marker = '[Cut to fit the budget: run `agentstate resume --full`]\n';
  if (limit <= Buffer.byteLength(marker)) return ['[cut]\n', '[]\n'].find((short) => short.length <= limit) ?? '';
  const lines = text.split('\n');
  let out = '';
  for (const line of lines) {
    if (Buffer.byteLength(out + line + '\n' + marker) > limit) break;
    out += line + '\n';
  }
  return out + marker;
}

/**
 * The "state filter": which items match a focus text, by the words and rules of `agentstate
 * search` (case-insensitive words; a word of 3+ letters also finds longer words it starts), every
 * word of the focus matching somewhere in the item's text or tags. Open decisions and standing
 * orders are not filtered: they bind whatever the task at hand is.
 */
export function focusMatcher(text: string) {
  const query = queryWords(text);
  const has = (...values: Array<string | undefined | string[]>) => matchesAll(query, ...values.flat());
  return {
    decision: (view: DecisionView) => has(view.title, view.why, view.action, view.tags),
    task: (task: Task) => has(task.title, task.epic, task.tags, task.notes),
    event: (event: Record<string, unknown>) => has(String(event.summary ?? ''), String(event.type ?? ''), String(event.ref ?? '')),
    field: (key: string, value: unknown) => has(key, JSON.stringify(value)),
  };
}
