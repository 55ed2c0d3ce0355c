/**
 * Text that came from a record, made safe to show, and text typed by a user, kept exactly.
 * Pure helpers shared by the briefing, the tables and the commands that take values.
 */

/**
 * Characters a terminal or a Markdown viewer would act on instead of showing: C0 controls but
 * tab and newline, DEL, C1 controls, line and paragraph separators, and the bidirectional
 * overrides and isolates (text that reads differently from what it is). ESC is the one that
 * matters most: `\u001b]52;…` writes the clipboard, `\u001b[2J` wipes the screen.
 */
// eslint-disable-next-line no-control-regex
const HIDDEN = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const hex = (code: number, width: number) => code.toString(16).padStart(width, '0');

/** The text with every such character written visibly as `\x1b` or `\u202e`. */
export function visible(text: string): string {
  return text.replace(HIDDEN, (char) => {
    const code = char.charCodeAt(0);
    return code < 0x100 ? `\\x${hex(code, 2)}` : `\\u${hex(code, 4)}`;
  });
}

/** What JSON.stringify leaves raw of those characters (DEL, C1, separators, bidi): JSON escapes only C0. */
const HIDDEN_IN_JSON = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * JSON text in which no character can act on a terminal: the same data (every such character is
 * inside a string, written as `\uXXXX`), so `--json` piped to a screen shows, not obeys, them.
 */
export function jsonText(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(HIDDEN_IN_JSON, (char) => `\\u${hex(char.charCodeAt(0), 4)}`);
}

/** One line for a table cell: the first line, with a marker saying how many more there are. */
export function firstLine(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const rest = lines.slice(1).filter((line) => line.trim() !== '').length;
  const head = lines[0] ?? '';
  return rest > 0 ? `${head} (+${rest} more line${rest === 1 ? '' : 's'})` : head;
}

/** A record's text as a table cell: one line, nothing hidden. */
export const cellText = (text: string): string => visible(firstLine(text));

/** A record's text inside a Markdown list item: whitespace folded, nothing hidden. */
export const inlineText = (text: string): string => visible(text.replace(/\s+/g, ' ').trim());

/**
 * A value typed on the command line (`state set k=v`, `log --data k=v`): JSON when the text is
 * exactly the JSON form of what it parses to, whitespace between tokens aside. Otherwise the text
 * itself: `1.10` stays "1.10" (JSON would make it 1.1), `12345678901234567890` keeps its digits,
 * `1e3` and `"\u0041"` stay as typed. `3`, `true`, `null`, `[1, 2]` and `{"a":1}` are JSON.
 */
export function exactValue(text: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return text;
  }
  return JSON.stringify(parsed) === withoutInsignificantSpace(text) ? parsed : text;
}

/** The JSON text without the whitespace JSON allows between tokens (strings untouched). */
function withoutInsignificantSpace(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (inString) {
      out += char;
      if (char === '\\') out += text[++i] ?? '';
      else if (char === '"') inString = false;
    } else if (char === '"') {
      inString = true;
      out += char;
    } else if (char !== ' ' && char !== '\t' && char !== '\n' && char !== '\r') {
      out += char;
    }
  }
  return out;
}
