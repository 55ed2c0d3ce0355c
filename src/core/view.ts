import type { Board, Card, Column } from './board.js';
import type { Handoff, RuntimeView } from './briefing.js';
import type { DecisionView } from './decisions.js';
import type { CatchRow } from './tsv.js';

/**
 * What the web view and `report --html` show, as one JSON document: the board, decisions, a
 * timeline, recent events and handoffs, catches over time, the runtime state. Pure.
 */
export interface View {
  generatedAt: string;
  repo: { name: string; branch?: string; sha?: string };
  /** True when the page may move tasks (serve --write). */
  write: boolean;
  board: { columns: Record<Column, Card[]>; hidden: Record<Column, number> };
  decisions: { open: DecisionView[]; standing: DecisionView[]; timeline: DecisionView[]; total: number };
  events: Array<{ id: string; at: string; type: string; agent: string; summary: string; ref?: string }>;
  handoffs: Handoff[];
  catches: { days: CatchDay[]; recent: CatchRow[]; total: number };
  runtime: RuntimeView;
  warnings: string[];
}

export interface CatchDay {
  day: string;
  count: number;
  /** Catches that day per control. */
  controls: Record<string, number>;
}

export const TIMELINE = 30;
export const CHART_DAYS = 30;

/** Catches per day for the last `days` days up to `now` (UTC days), empty days included. */
export function catchesByDay(rows: CatchRow[], now: number, days = CHART_DAYS): CatchDay[] {
  const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const out: CatchDay[] = [];
  const byDay = new Map<string, CatchDay>();
  for (let i = days - 1; i >= 0; i--) {
    const entry = { day: dayOf(now - i * 86_400_000), count: 0, controls: {} };
    out.push(entry);
    byDay.set(entry.day, entry);
  }
  for (const row of rows) {
    const at = Date.parse(row.at);
    const entry = Number.isNaN(at) ? undefined : byDay.get(dayOf(at));
    if (!entry) continue;
    entry.count++;
    entry.controls[row.control] = (entry.controls[row.control] ?? 0) + 1;
  }
  return out;
}

/** The latest decisions, newest first, each with what closed it. */
export function timelineOf(views: DecisionView[], count = TIMELINE): DecisionView[] {
  return [...views].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0)).slice(0, count);
}

export function boardView(board: Board): View['board'] {
  const { hidden, ...columns } = board;
  return { columns, hidden };
}
