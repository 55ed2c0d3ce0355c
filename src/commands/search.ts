import type { CommandRun } from '../command.js';
import { KINDS, type SearchKind } from '../core/search-records.js';
import { applyMarks, queryWords, snippet } from '../core/search-text.js';
import { redactSecrets } from '../core/guards.js';
import { cellText } from '../core/text.js';
import { usageError } from '../errors.js';
import { table, terminalWidth, visibleLength, type Style } from '../output.js';
import { openContext } from '../store/context.js';
import { searchState, type SearchHit } from '../store/search.js';
import { parseCount, parseWhen } from './shared.js';

export interface SearchOptions {
  kind?: string[];
  since?: string;
  by?: string;
  limit?: string;
}

const DEFAULT_LIMIT = 20;

function parseKinds(values: string[] | undefined): SearchKind[] | undefined {
  if (!values?.length) return undefined;
  const known = (word: string) => (KINDS as readonly string[]).includes(word);
  // A plural is the same kind (`--kind decisions`); an unknown word is named as given.
  const kinds = values.flatMap((value) => value.split(',')).map((value) => value.trim().toLowerCase()).map((kind) => (known(kind.replace(/s$/, '')) ? kind.replace(/s$/, '') : kind));
  const unknown = kinds.find((kind) => !known(kind));
  if (unknown !== undefined) throw usageError(`--kind: "${unknown}" is not one of ${KINDS.join(', ')}`, 'give one kind per --kind, or several separated by commas');
  return kinds as SearchKind[];
}

/** `agentstate search <query>`: ranked hits over events, decisions, tasks, catches and handoffs. */
export const run: CommandRun<SearchOptions> = async ({ args, options, globals }) => {
  const query = args.join(' ');
  if (queryWords(query).length === 0) throw usageError('the query has no word to look for', 'give one or more words, e.g. `agentstate search redis cache`');
  const kinds = parseKinds(options.kind);
  const since = options.since !== undefined ? parseWhen(options.since, '--since') : undefined;
  const limit = parseCount(options.limit, '--limit') ?? DEFAULT_LIMIT;
  const context = await openContext(globals);
  const { hits, total } = await searchState(context, query, {
    limit,
    ...(kinds ? { kinds } : {}),
    ...(since !== undefined ? { since } : {}),
    ...(options.by !== undefined ? { agent: options.by } : {}),
  });
  return {
    data: { query, hits, count: hits.length, total, warnings: context.warnings },
    warnings: context.warnings,
    quiet: hits.map((hit) => hit.id).join('\n'),
    notes: hits.length < total ? [`${hits.length} of ${total} matches shown; --limit N for more`] : [],
    human: (style) => (hits.length === 0 ? `no matches for "${cellText(redactSecrets(query))}"` : render(hits, style)),
  };
};

/** One line per hit; on a terminal the text is cut to fit around its first match and the words are marked. */
function render(hits: SearchHit[], style: Style): string {
  const rows = hits.map((hit) => [hit.kind, style.dim(cellText(hit.id)), cellText(hit.at.slice(0, 10)), cellText(hit.status ?? '')]);
  const hasStatus = hits.some((hit) => hit.status);
  const widths = [0, 1, 2, 3].map((column) => Math.max(...rows.map((row) => visibleLength(row[column]!))));
  const used = widths.slice(0, hasStatus ? 4 : 3).reduce((sum, width) => sum + width + 2, 0);
  const width = terminalWidth();
  const mark = (word: string) => style.bold(style.yellow(word));
  return table(
    hits.map((hit, i) => {
      const cut = width ? snippet(hit.text, hit.marks, Math.max(20, width - used - 1)) : { text: hit.text.replace(/\s/g, ' '), marks: hit.marks };
      const cells = rows[i]!.slice(0, hasStatus ? 4 : 3);
      return [...cells, applyMarks(cut.text, cut.marks, mark)];
    }),
    { ...style, bold: (text) => text },
  );
}
