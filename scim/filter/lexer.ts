/**
 * Tokenizer for SCIM filters and PATCH paths (RFC 7644 §3.4.2.2, §3.5.2).
 *
 * The token set is deliberately coarse: punctuation (`(`, `)`, `[`, `]`), JSON strings, and "words".
 * A word is any run of characters that is not whitespace, punctuation or a double quote, so an
 * attribute path such as `urn:ietf:params:scim:schemas:core:2.0:User:name.familyName`, an operator
 * (`eq`), a keyword (`and`) and a bare JSON literal (`-1.5e3`, `true`) are all single words. The
 * parser decides what a word means from where it stands. One pass, no backtracking.
 */
import type { ScimError } from '../errors';

export type TokenKind = 'word' | 'string' | 'lparen' | 'rparen' | 'lbracket' | 'rbracket' | 'end';

export interface Token {
  readonly kind: TokenKind;
  /** The source text of the token (for strings: including the quotes). Empty for `end`. */
  readonly text: string;
  /** The decoded value of a string token. */
  readonly value?: string;
  /** 1-based character position of the token's first character (`text.length + 1` for `end`). */
  readonly position: number;
}

/** Builds the error to throw; the caller picks invalidFilter or invalidPath. */
export type Fail = (detail: string) => ScimError;

const PUNCTUATION: Readonly<Record<string, TokenKind>> = {
  '(': 'lparen',
  ')': 'rparen',
  '[': 'lbracket',
  ']': 'rbracket',
};

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

const isWhitespace = (ch: string): boolean => ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r';
const isHexDigit = (ch: string): boolean => /^[0-9A-Fa-f]$/.test(ch);

/** Splits `text` into tokens, always ending with one `end` token. */
export function tokenize(text: string, fail: Fail): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text.charAt(i);
    if (isWhitespace(ch)) {
      i += 1;
      continue;
    }
    const punctuation = PUNCTUATION[ch];
    if (punctuation !== undefined) {
      tokens.push({ kind: punctuation, text: ch, position: i + 1 });
      i += 1;
      continue;
    }
    if (ch === '"') {
      const { token, next } = readString(text, i, fail);
      tokens.push(token);
      i = next;
      continue;
    }
    const start = i;
    while (i < text.length) {
      const c = text.charAt(i);
      if (isWhitespace(c) || c === '"' || PUNCTUATION[c] !== undefined) break;
      i += 1;
    }
    tokens.push({ kind: 'word', text: text.slice(start, i), position: start + 1 });
  }
  tokens.push({ kind: 'end', text: '', position: text.length + 1 });
  return tokens;
}

/** Reads the JSON string starting at the `"` at index `start`. */
function readString(text: string, start: number, fail: Fail): { token: Token; next: number } {
  const parts: string[] = [];
  let i = start + 1;
  let runStart = i;
  while (i < text.length) {
    const ch = text.charAt(i);
    if (ch === '"') {
      parts.push(text.slice(runStart, i));
      const token: Token = { kind: 'string', text: text.slice(start, i + 1), value: parts.join(''), position: start + 1 };
      return { token, next: i + 1 };
    }
    if (ch === '\\') {
      parts.push(text.slice(runStart, i));
      const escape = text.charAt(i + 1);
      const simple = SIMPLE_ESCAPES[escape];
      if (simple !== undefined) {
        parts.push(simple);
        i += 2;
      } else if (escape === 'u') {
        const hex = text.slice(i + 2, i + 6);
        if (hex.length !== 4 || ![...hex].every(isHexDigit)) {
          throw fail(`Invalid escape "\\u${hex}" in string at position ${i + 1}: expected four hexadecimal digits`);
        }
        parts.push(String.fromCharCode(parseInt(hex, 16)));
        i += 6;
      } else if (escape === '') {
        break; // backslash at the very end: report as unterminated
      } else {
        throw fail(
          `Invalid escape "\\${escape}" in string at position ${i + 1}: ` +
            'expected one of \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX',
        );
      }
      runStart = i;
      continue;
    }
    if (ch < ' ') {
      const code = ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
      throw fail(`Unescaped control character U+${code} in string at position ${i + 1}`);
    }
    i += 1;
  }
  throw fail(`Unterminated string starting at position ${start + 1}: expected a closing '"'`);
}
