/** Dotted keys into nested maps (`deploy.region`), for runtime state. */
const SEGMENT = /^[A-Za-z0-9_-]{1,64}$/;
const FORBIDDEN = new Set(['__proto__', 'prototype', 'constructor']);

export type Tree = Record<string, unknown>;
const isTree = (value: unknown): value is Tree => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The segments of a key, or a problem with it. */
export function parseKey(key: string): { segments: string[] } | { problem: string } {
  const segments = key.split('.');
  for (const segment of segments) {
    if (!SEGMENT.test(segment)) return { problem: `"${key}" is not a key: use letters, digits, _ and -, joined by dots` };
    if (FORBIDDEN.has(segment)) return { problem: `"${segment}" cannot be used in a key` };
  }
  return { segments };
}

export function getPath(tree: Tree, segments: string[]): { found: boolean; value?: unknown } {
  let node: unknown = tree;
  for (const segment of segments) {
    if (!isTree(node) || !Object.hasOwn(node, segment)) return { found: false };
    node = node[segment];
  }
  return { found: true, value: node };
}

/** A copy of the tree with the value set, creating maps on the way (a scalar in the way is replaced). */
export function setPath(tree: Tree, segments: string[], value: unknown): Tree {
  const [head, ...rest] = segments;
  if (head === undefined) return tree;
  const child = tree[head];
  return { ...tree, [head]: rest.length ? setPath(isTree(child) ? child : {}, rest, value) : value };
}

/** A copy without the key; empty maps left behind are removed. */
export function unsetPath(tree: Tree, segments: string[]): Tree {
  const [head, ...rest] = segments;
  if (head === undefined || !Object.hasOwn(tree, head)) return tree;
  const copy = { ...tree };
  if (rest.length === 0) {
    delete copy[head];
    return copy;
  }
  const child = copy[head];
  if (!isTree(child)) return tree;
  const next = unsetPath(child, rest);
  if (Object.keys(next).length === 0) delete copy[head];
  else copy[head] = next;
  return copy;
}

/** The JSON type name of a value, as config `runtime.types` spells them. */
export function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value === 'object' ? 'object' : typeof value;
}

export function matchesType(value: unknown, declared: string): boolean {
  const actual = typeOf(value);
  return actual === declared || (declared === 'number' && actual === 'integer');
}
