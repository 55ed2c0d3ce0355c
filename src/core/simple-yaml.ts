/**
 * The plain YAML that config.yaml is written in — `key: value` lines, one or two levels deep,
 * comments, numbers, booleans, words, quoted text without escapes, `{}` — read without loading
 * a YAML parser (the `yaml` module costs ~20 ms to load and compile on every command). Anything
 * else (lists, anchors, flow maps with content, null-like or YAML 1.1 words, tabs) returns
 * undefined, and the caller takes the full parser. Pure.
 */
type Tree = Record<string, unknown>;

const KEY = /^([A-Za-z_][A-Za-z0-9_-]*):(?:\s+(.*?))?\s*$/;
const AMBIGUOUS = /^(null|Null|NULL|~|yes|no|on|off|y|n|Yes|No|On|Off|YES|NO|ON|OFF|true|false|True|False|TRUE|FALSE)$/;

export function parseSimpleYaml(text: string): Tree | undefined {
  const root: Tree = {};
  let section: Tree | undefined;
  for (const raw of text.replace(/^\uFEFF/, '').split('\n')) {
    const line = raw.replace(/\r$/, '');
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    if (line.includes('\t')) return undefined;
    const indent = line.length - line.trimStart().length;
    const match = KEY.exec(trimmed.replace(/\s+#.*$/, ''));
    if (!match) return undefined;
    const [, key, rest] = match as unknown as [string, string, string | undefined];
    if (indent === 0) {
      if (Object.hasOwn(root, key)) return undefined;
      if (rest === undefined || rest === '') {
        section = {};
        root[key] = section;
        continue;
      }
      section = undefined;
      const value = scalar(rest);
      if (value === undefined) return undefined;
      root[key] = value;
    } else if (indent === 2 && section) {
      if (Object.hasOwn(section, key) || rest === undefined || rest === '') return undefined;
      const value = scalar(rest);
      if (value === undefined) return undefined;
      section[key] = value;
    } else {
      return undefined;
    }
  }
  return root;
}

function scalar(text: string): unknown {
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text === '{}') return {};
  if (/^-?(0|[1-9]\d{0,14})$/.test(text)) return Number(text);
  if (/^"[^"\\]*"$/.test(text) || /^'[^']*'$/.test(text)) return text.slice(1, -1);
  if (AMBIGUOUS.test(text) || !/^[A-Za-z0-9_][A-Za-z0-9_./:@-]*$/.test(text) || /^[-+.\d]/.test(text.replace(/^\d+[smhd]$/, 'x'))) return undefined;
  return text;
}
