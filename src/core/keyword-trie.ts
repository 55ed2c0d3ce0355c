const SPECIAL = new Set('\\^$.*+?()[]{}|/-');

/**
 * One regex source for many words, shaped as a trie (`a(?:3-|3t|dobe)|…`): V8 tries the
 * alternatives at each position one by one, and a trie has few at each step (measured: twice as
 * fast as a flat list of 230 words). A word that goes on (`sk` in `sk-proj-`) ends in an optional
 * tail, so the longest word at a position is the one found. `sorted` must be in code-unit order.
 */
export function trieSource(sorted: string[], depth = 0): string {
  const branches: string[] = [];
  let ends = false;
  for (let i = 0; i < sorted.length; ) {
    const word = sorted[i]!;
    if (word.length === depth) {
      ends = true;
      i++;
      continue;
    }
    const ch = word[depth]!;
    let next = i + 1;
    while (next < sorted.length && sorted[next]![depth] === ch) next++;
    branches.push((SPECIAL.has(ch) ? `\\${ch}` : ch) + trieSource(sorted.slice(i, next), depth + 1));
    i = next;
  }
  if (branches.length === 0) return '';
  const body = branches.length === 1 ? branches[0]! : `(?:${branches.join('|')})`;
  return ends ? `(?:${body})?` : body;
}
