import {
  applyEdits,
  findNodeAtOffset,
  format,
  modify,
  parse,
  parseTree,
  printParseErrorCode,
  type Edit,
  type FormattingOptions,
  type JSONPath,
  type Node,
  type ParseError,
} from 'jsonc-parser';

/**
 * Edit a user's JSON (or JSON with comments) settings file as text: the new value goes in, every
 * other byte stays where it was — comments, key order, indentation, line endings. Only what is
 * inserted is formatted, in the file's own indentation. jsonc-parser's `modify` computes the
 * edit; its own formatting re-indents whole lines around the edit, so the range is narrowed here.
 */
export class JsonTextError extends Error {}

/** Parse JSON with comments; throws JsonTextError naming line and column. Trailing commas are refused (JSON readers refuse them). */
export function parseJsonText(text: string): unknown {
  const errors: ParseError[] = [];
  const value = parse(text, errors, { allowTrailingComma: false, disallowComments: false, allowEmptyContent: true }) as unknown;
  const [first] = errors;
  if (first) {
    const { line, column } = position(text, first.offset);
    throw new JsonTextError(`${line}:${column}: not valid JSON (${printParseErrorCode(first.error)})`);
  }
  return value;
}

function position(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: (before[before.length - 1]?.length ?? 0) + 1 };
}

/** The file's own style: its indentation unit and line ending (two spaces and \n for a new file). */
export function formattingOf(text: string): FormattingOptions {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const indent = /^([ \t]+)["{[\]}]/m.exec(text)?.[1];
  if (indent?.startsWith('\t')) return { insertSpaces: false, tabSize: 1, eol };
  return { insertSpaces: true, tabSize: indent ? indent.length : 2, eol };
}

/** Set (or insert, with index -1 for the end of an array) the value at `path`. */
export function setJson(text: string, path: JSONPath, value: unknown): string {
  const source = text.trim() === '' ? '{}' : text;
  const options = formattingOf(text);
  const tree = parseTree(source);
  // Right to left, so that each edit's offsets still hold.
  const edits = modify(source, path, value, {}).sort((a, b) => b.offset - a.offset);
  const result = edits.reduce((current, edit) => applyOne(current, edit, tree, options), source);
  return text.trim() === '' ? `${result}${options.eol}` : result;
}

function applyOne(text: string, edit: Edit, tree: Node | undefined, options: FormattingOptions): string {
  const container = tree && containerAt(tree, edit.offset);
  const empty = !container?.children?.length;
  if (container && !empty && !text.slice(container.offset, container.offset + container.length).includes('\n')) {
    // A one-line container stays on one line.
    return applyEdits(text, [{ ...edit, content: edit.content.replace(/^,/, ', ') }]);
  }
  const pieces = keepTrailingComment(text, edit, options.eol ?? '\n');
  const next = applyEdits(text, pieces);
  const inserted = pieces[pieces.length - 1]!;
  const start = inserted.offset + (pieces.length - 1);
  let range = { offset: start, length: inserted.content.length };
  if (container && empty) range = { offset: container.offset, length: container.length - edit.length + edit.content.length };
  return applyEdits(next, format(next, range, options));
}

/** The innermost object or array whose brackets enclose `offset`. */
function containerAt(tree: Node, offset: number): Node | undefined {
  let node: Node | undefined = findNodeAtOffset(tree, offset, false);
  while (node && !((node.type === 'object' || node.type === 'array') && offset > node.offset && offset < node.offset + node.length)) node = node.parent;
  return node;
}

/** Remove the value at `path` (an array element or a property). */
export function removeJson(text: string, path: JSONPath): string {
  return applyEdits(text, modify(text, path, undefined, {}));
}

/**
 * An insertion after the last element puts `,<value>` right after it, which would move a comment
 * that ends that line (`"a": 1 // note`) behind the new value. Put the comma there and the value
 * on a new line after the comment instead.
 */
function keepTrailingComment(text: string, edit: Edit, eol: string): Edit[] {
  if (edit.length !== 0 || !edit.content.startsWith(',')) return [edit];
  const lineEnd = text.indexOf('\n', edit.offset);
  const rest = text.slice(edit.offset, lineEnd === -1 ? text.length : lineEnd).replace(/\r$/, '');
  if (!/^\s*(\/\/.*|\/\*.*\*\/\s*)$/.test(rest)) return [edit];
  const at = edit.offset + rest.length;
  return [
    { offset: edit.offset, length: 0, content: ',' },
    { offset: at, length: 0, content: `${eol}${edit.content.slice(1)}` },
  ];
}
