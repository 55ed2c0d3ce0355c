import { unreadableError } from '../errors.js';

/** Bounds for YAML written by hand or by someone hostile. */
const MAX_YAML_BYTES = 64 * 1024 * 1024;
const MAX_ALIASES = 50;

export interface ParsedYaml {
  value: unknown;
  /** 1-based line of a node at this character offset. */
  lineOf(offset: number): number;
  /** The top-level list under `key`, with the 1-based line of each item. */
  items(key: string): Array<{ value: unknown; line: number }>;
}

/**
 * Parse YAML strictly and lazily (the `yaml` module is loaded only on this slow path): any warning
 * (an unknown tag, say) is an error, aliases are capped against alias bombs, size is bounded, and
 * a too-deep document fails fast instead of exhausting the stack.
 */
export async function parseYamlStrict(text: string, file: string): Promise<ParsedYaml> {
  if (text.length > MAX_YAML_BYTES) throw unreadableError(file, undefined, `larger than ${MAX_YAML_BYTES} bytes`);
  // yaml is CommonJS under Node: in the bundle its names hang off the default export.
  const loaded = await import('yaml');
  const { parseDocument, LineCounter, isMap, isSeq } = ('default' in loaded && loaded.default ? loaded.default : loaded) as typeof loaded;
  const lineCounter = new LineCounter();
  let doc;
  try {
    doc = parseDocument(text, { lineCounter, strict: true, uniqueKeys: true, prettyErrors: false, version: '1.2' });
  } catch (error) {
    throw unreadableError(file, undefined, `not valid YAML (${(error as Error).message})`);
  }
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) {
    const line = lineCounter.linePos(problem.pos[0]).line;
    throw unreadableError(file, line, `not valid YAML: ${problem.message.split('\n')[0]}`);
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (error) {
    throw unreadableError(file, undefined, `rejected: ${(error as Error).message.split('\n')[0]}`);
  }
  const lineOf = (offset: number) => lineCounter.linePos(offset).line;
  return {
    value,
    lineOf,
    items(key) {
      const root = doc.contents;
      if (!isMap(root)) return [];
      const list = root.get(key, true);
      if (!isSeq(list)) return [];
      return list.items.map((node, i) => {
        const range = (node as { range?: [number, number, number] }).range;
        const js = (value as Record<string, unknown[]>)[key]?.[i];
        return { value: js, line: range ? lineOf(range[0]) : 0 };
      });
    },
  };
}
