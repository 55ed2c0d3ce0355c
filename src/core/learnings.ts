import { onceDuplicates } from './once.js';

/**
 * Accumulated knowledge: what agents learned about the codebase, the user's style and common
 * failures. learnings.yaml is event-sourced like the decision chain (learning, confirm, retire
 * records); the live lessons are a projection of it. A new session loses calibration, not only
 * facts: the briefing hands the most relevant lessons back.
 */
export const LEARNING_CATEGORIES = ['convention', 'pattern', 'failure', 'tip'] as const;
export type LearningCategory = (typeof LEARNING_CATEGORIES)[number];

export interface LearningView {
  id: string;
  at: string;
  agent: string;
  text: string;
  category: string;
  tags: string[];
  refs: string[];
  /** How often a later session confirmed it still holds. */
  confirmations: number;
  confirmed_at?: string;
  status: 'live' | 'retired';
  retired?: { id: string; at: string; agent: string; why: string };
  /** Ids of the lessons other clones learned with the same --once key: this one stands for them. */
  duplicates?: string[];
}

type Raw = Record<string, unknown>;
const str = (value: unknown) => (typeof value === 'string' ? value : undefined);
const strings = (value: unknown) => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []);

/** Every learning with its confirmations and retirement, in the order they were learned. */
export function projectLearnings(records: Raw[]): LearningView[] {
  const views = new Map<string, LearningView>();
  // A lesson two clones learned with one --once key is one lesson: the earliest (core/once.ts).
  const alias = onceDuplicates(records, (record) => (record.kind === 'learning' ? record.once : undefined));
  for (const record of records) {
    const id = str(record.id);
    if (!id || record.kind !== 'learning' || alias.has(id)) continue;
    views.set(id, {
      id,
      at: str(record.at) ?? '',
      agent: str(record.agent) ?? '',
      text: str(record.text) ?? '',
      category: str(record.category) ?? 'tip',
      tags: strings(record.tags),
      refs: strings(record.refs),
      confirmations: 0,
      status: 'live',
    });
  }
  for (const [duplicate, owner] of alias) {
    const view = views.get(owner);
    if (view) view.duplicates = [...(view.duplicates ?? []), duplicate];
  }
  for (const record of records) {
    const learning = str(record.learning) ?? '';
    const target = views.get(alias.get(learning) ?? learning);
    if (!target) continue;
    const at = str(record.at) ?? '';
    if (record.kind === 'confirm') {
      target.confirmations += 1;
      if (!target.confirmed_at || at > target.confirmed_at) target.confirmed_at = at;
    } else if (record.kind === 'retire' && (!target.retired || at < target.retired.at)) {
      // Retired on two clones: the earlier retirement stands, both records stay in the log.
      target.status = 'retired';
      target.retired = { id: str(record.id) ?? '', at, agent: str(record.agent) ?? '', why: str(record.why) ?? '' };
    }
  }
  return [...views.values()];
}

/** Does the learning concern what `--focus` names: a tag, a referenced path, or its text? */
export function learningMatches(view: LearningView, focus: string): boolean {
  const needle = focus.trim().toLowerCase();
  if (!needle) return false;
  const words = needle.split(/[\s,]+/).map(pathWord).filter((word) => word.length >= 2);
  const tags = view.tags.map((tag) => tag.toLowerCase());
  const refs = view.refs.map((ref) => pathWord(ref.toLowerCase()));
  return (
    words.some((word) => tags.includes(word) || refs.some((ref) => ref.includes(word) || under(word, ref))) ||
    view.text.toLowerCase().includes(needle) ||
    view.category === needle
  );
}

/** A word of the focus as a path: no quotes or trailing punctuation around it, no leading `./`. */
const pathWord = (word: string) => word.replace(/^[`'"(]+|[`'"),.;:]+$/g, '').replace(/^(\.\/)+/, '');

/** Is the focus path the referenced path or inside it (`src/auth/login.ts` under `src/auth/`)? */
const under = (path: string, ref: string) => {
  const dir = ref.replace(/\/+$/, '');
  return dir.length > 0 && (path === dir || path.startsWith(`${dir}/`));
};

const HALF_LIFE_DAYS = 30;
const DAY_MS = 86_400_000;
const lastTouched = (view: LearningView) => Math.max(Date.parse(view.at) || 0, Date.parse(view.confirmed_at ?? '') || 0);

/**
 * The live learnings, most relevant first: those matching the focus, then by a score that grows
 * with confirmations and halves every 30 days since the learning was last learned or confirmed,
 * so stale lessons sink and confirmed ones rise. The order depends only on the records (the decay
 * is relative, so no clock is read): the AGENTS.md block stays byte-identical while nothing changes.
 */
export function rankLearnings(views: LearningView[], focus?: string): LearningView[] {
  const live = views.filter((view) => view.status === 'live');
  const newest = Math.max(0, ...live.map(lastTouched));
  const score = (view: LearningView) => (1 + view.confirmations) * 0.5 ** ((newest - lastTouched(view)) / (HALF_LIFE_DAYS * DAY_MS));
  const matched = (view: LearningView) => (focus && learningMatches(view, focus) ? 1 : 0);
  return live
    .map((view) => ({ view, focus: matched(view), score: score(view), touched: lastTouched(view) }))
    .sort((a, b) => b.focus - a.focus || b.score - a.score || b.touched - a.touched || a.view.id.localeCompare(b.view.id))
    .map((entry) => entry.view);
}
