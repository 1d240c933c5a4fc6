/**
 * Parser for SCIM filters, RFC 7644 §3.4.2.2, Figure 1:
 *
 *   FILTER    = attrExp / logExp / valuePath / *1"not" "(" FILTER ")"
 *
 *   valuePath = attrPath "[" valFilter "]"
 *               ; FILTER uses sub-attributes of a parent attrPath
 *
 *   valFilter = attrExp / logExp / *1"not" "(" valFilter ")"
 *
 *   attrExp   = (attrPath SP "pr") /
 *               (attrPath SP compareOp SP compValue)
 *
 *   logExp    = FILTER SP ("and" / "or") SP FILTER
 *
 *   compValue = false / null / true / number / string
 *               ; rules from JSON (RFC 7159)
 *
 *   compareOp = "eq" / "ne" / "co" /
 *                      "sw" / "ew" /
 *                      "gt" / "lt" /
 *                      "ge" / "le"
 *
 *   attrPath  = [URI ":"] ATTRNAME *1subAttr
 *               ; SCIM attribute name
 *               ; URI is SCIM "schema" URI
 *
 *   ATTRNAME  = ALPHA *(nameChar)
 *
 *   nameChar  = "-" / "_" / DIGIT / ALPHA
 *
 *   subAttr   = "." ATTRNAME
 *               ; a sub-attribute of a complex attribute
 *
 * Precedence (§3.4.2.2): grouping, then `not` over `and` over `or`. `and`/`or` associate to the left.
 * The grammar actually parsed, with the same meaning:
 *
 *   filter    = orExpr
 *   orExpr    = andExpr *(SP "or" SP andExpr)
 *   andExpr   = unary *(SP "and" SP unary)
 *   unary     = "not" [SP] "(" orExpr ")" / "(" orExpr ")" / attrTerm
 *   attrTerm  = attrPath SP "pr" / attrPath SP compareOp SP compValue
 *             / attrPath "[" orExpr "]" [subAttr (SP "pr" / SP compareOp SP compValue)]
 *
 * Deviations, all deliberate:
 * - Operators, `and`, `or`, `not`, `true`, `false`, `null` are case-insensitive; attribute names are
 *   kept as written. Whitespace between tokens is not required around punctuation and may be any of
 *   space, tab, CR, LF.
 * - `$ref` is accepted as an attribute name (RFC 7643 uses it as a sub-attribute).
 * - Microsoft Entra ID's `emails[type eq "work"].value eq "x"` is accepted and desugared to
 *   `emails[type eq "work" and value eq "x"]`.
 * - Inside brackets, attribute paths are relative: no schema URI, no sub-attribute, no nested brackets.
 * - `co`/`sw`/`ew` take a string; `gt`/`ge`/`lt`/`le` take a string or a number.
 *
 * Hostile input is bounded by MAX_FILTER_LENGTH, MAX_FILTER_DEPTH and MAX_FILTER_TERMS; recursion only
 * happens on nesting, and the depth is checked before each recursive step.
 */
import { invalidFilter } from '../errors';
import type { AttributePath, CompareOperator, Filter, FilterValue } from './ast';
import { tokenize, type Fail, type Token } from './lexer';

/** Longest filter (or PATCH path) text accepted, in characters. */
export const MAX_FILTER_LENGTH = 4096;
/** Deepest nesting accepted; each group `( )`, each `not ( )` and each value path `[ ]` is one level. */
export const MAX_FILTER_DEPTH = 32;
/** Most attribute comparisons (`pr` included) accepted in one filter. */
export const MAX_FILTER_TERMS = 200;

const COMPARE_OPERATORS: ReadonlySet<string> = new Set<CompareOperator>([
  'eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le',
]);
const STRING_ONLY_OPERATORS: ReadonlySet<string> = new Set<CompareOperator>(['co', 'sw', 'ew']);
const ORDERING_OPERATORS: ReadonlySet<string> = new Set<CompareOperator>(['gt', 'ge', 'lt', 'le']);

const ATTRNAME = /^(?:[A-Za-z][A-Za-z0-9_-]*|\$ref)$/i;
const URI = /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/;
const JSON_NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;
const NAME_RULE = 'names start with a letter and contain only letters, digits, "-" and "_"';

export type Subject = 'filter' | 'path';

const isCompareOperator = (word: string): word is CompareOperator => COMPARE_OPERATORS.has(word);

/** Checks the length limit, tokenizes and returns a parser positioned on the first token. */
export function createParser(text: string, fail: Fail, subject: Subject): FilterParser {
  if (typeof text !== 'string') throw fail(`The ${subject} must be a string (at position 1)`);
  if (text.length > MAX_FILTER_LENGTH) {
    throw fail(
      `The ${subject} is ${text.length} characters long; at most ${MAX_FILTER_LENGTH} are allowed ` +
        `(limit exceeded at position ${MAX_FILTER_LENGTH + 1})`,
    );
  }
  return new FilterParser(tokenize(text, fail), fail, subject);
}

/** Parses a SCIM filter (RFC 7644 §3.4.2.2). Throws `invalidFilter` naming the position of the problem. */
export function parseFilter(text: string): Filter {
  const parser = createParser(text, invalidFilter, 'filter');
  return parser.parseWhole();
}

/** Recursive-descent parser over the token list. Shared by parseFilter and parsePatchPath. */
export class FilterParser {
  private index = 0;
  private depth = 0;
  private terms = 0;
  /** The `[` of the value path being parsed, if any (value paths cannot nest). */
  private openBracket: Token | undefined;

  constructor(
    private readonly tokens: readonly Token[],
    readonly fail: Fail,
    private readonly subject: Subject,
  ) {}

  peek(): Token {
    // The token list always ends with `end`, and the index never moves past it.
    return this.tokens[this.index] ?? { kind: 'end', text: '', position: 1 };
  }

  next(): Token {
    const token = this.peek();
    if (token.kind !== 'end') this.index += 1;
    return token;
  }

  /** How a token is named in error details. */
  describe(token: Token): string {
    if (token.kind === 'end') return `end of ${this.subject}`;
    const text = token.text.length > 40 ? `${token.text.slice(0, 40)}…` : token.text;
    return token.kind === 'string' ? `the string ${text}` : `"${text}"`;
  }

  /** A whole filter: an expression followed by the end of input. */
  parseWhole(): Filter {
    const first = this.peek();
    if (first.kind === 'end') {
      throw this.fail(`The filter is empty: expected an attribute path, "not" or "(" at position ${first.position}`);
    }
    const filter = this.parseOr();
    const token = this.peek();
    if (token.kind === 'end') return filter;
    if (token.kind === 'rparen' || token.kind === 'rbracket') {
      const open = token.kind === 'rparen' ? '(' : '[';
      throw this.fail(`Unbalanced "${token.text}" at position ${token.position}: there is no matching "${open}"`);
    }
    throw this.fail(`Expected "and", "or" or end of filter at position ${token.position}, found ${this.describe(token)}`);
  }

  private parseOr(): Filter {
    let left = this.parseAnd();
    while (this.isKeyword(this.peek(), 'or')) {
      this.next();
      left = { kind: 'or', left, right: this.parseAnd() };
    }
    return left;
  }

  private parseAnd(): Filter {
    let left = this.parseUnary();
    while (this.isKeyword(this.peek(), 'and')) {
      this.next();
      left = { kind: 'and', left, right: this.parseUnary() };
    }
    return left;
  }

  private parseUnary(): Filter {
    const token = this.peek();
    if (token.kind === 'lparen') {
      this.next();
      return this.parseGroup(token);
    }
    if (this.isKeyword(token, 'not')) {
      this.next();
      const open = this.peek();
      if (open.kind !== 'lparen') {
        throw this.fail(
          `Expected "(" after "not" at position ${open.position}, found ${this.describe(open)} ` +
            '("not" must be followed by a parenthesised filter)',
        );
      }
      this.next();
      return { kind: 'not', filter: this.parseGroup(open) };
    }
    if (token.kind === 'word' && !this.isKeyword(token, 'and') && !this.isKeyword(token, 'or')) {
      return this.parseAttributeTerm();
    }
    throw this.fail(`Expected an attribute path, "not" or "(" at position ${token.position}, found ${this.describe(token)}`);
  }

  /** After a consumed `(`: the inner expression and its `)`. */
  private parseGroup(open: Token): Filter {
    this.enter(open);
    const inner = this.parseOr();
    this.expectClosing(open, 'rparen', ')');
    this.depth -= 1;
    return inner;
  }

  private parseAttributeTerm(): Filter {
    const pathToken = this.peek();
    const path = this.readPath();
    if (this.peek().kind !== 'lbracket') return this.parseCondition(path, pathToken);

    const filter = this.readValueFilter(path);
    const dot = this.peek();
    if (dot.kind !== 'word' || !dot.text.startsWith('.')) return { kind: 'valuePath', path, filter };
    // Entra ID: emails[type eq "work"].value eq "x"  ==  emails[type eq "work" and value eq "x"]
    const subAttribute = this.readSubAttribute();
    const condition = this.parseCondition({ attribute: subAttribute }, dot);
    return { kind: 'valuePath', path, filter: { kind: 'and', left: filter, right: condition } };
  }

  /** `pr`, or a comparison operator and its value, after the path in `pathToken`. */
  private parseCondition(path: AttributePath, pathToken: Token): Filter {
    const opToken = this.peek();
    const op = opToken.kind === 'word' ? opToken.text.toLowerCase() : '';
    if (op === 'pr') {
      this.next();
      const after = this.peek();
      if (after.kind === 'string' || (after.kind === 'word' && this.literal(after) !== undefined)) {
        throw this.fail(`The "pr" operator takes no value, found ${this.describe(after)} at position ${after.position}`);
      }
      this.countTerm(opToken);
      return { kind: 'present', path };
    }
    if (!isCompareOperator(op)) {
      throw this.fail(
        `Expected a comparison operator after "${pathToken.text}" at position ${opToken.position}, ` +
          `found ${this.describe(opToken)}`,
      );
    }
    this.next();
    const value = this.readValue(opToken, op);
    this.countTerm(opToken);
    return { kind: 'compare', path, op, value };
  }

  private readValue(opToken: Token, op: CompareOperator): FilterValue {
    const token = this.peek();
    let value: FilterValue | undefined;
    if (token.kind === 'string') value = token.value ?? '';
    else if (token.kind === 'word') value = this.literal(token);
    if (value === undefined) {
      const hint = token.kind === 'word' ? ' (strings must be in double quotes)' : '';
      throw this.fail(
        `Expected a value (a quoted string, number, true, false or null) after "${opToken.text}" ` +
          `at position ${token.position}, found ${this.describe(token)}${hint}`,
      );
    }
    if (STRING_ONLY_OPERATORS.has(op) && typeof value !== 'string') {
      throw this.fail(`The "${opToken.text}" operator needs a string value at position ${token.position}, found ${this.describe(token)}`);
    }
    if (ORDERING_OPERATORS.has(op) && typeof value !== 'string' && typeof value !== 'number') {
      throw this.fail(
        `The "${opToken.text}" operator needs a string or number value at position ${token.position}, ` +
          `found ${this.describe(token)}`,
      );
    }
    this.next();
    return value;
  }

  /** A bare JSON literal word: true, false, null (any case) or a number; undefined when it is none. */
  private literal(token: Token): FilterValue | undefined {
    const lower = token.text.toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
    if (lower === 'null') return null;
    if (!JSON_NUMBER.test(token.text)) return undefined;
    const number = Number(token.text);
    if (!Number.isFinite(number)) throw this.fail(`Number ${token.text} at position ${token.position} is out of range`);
    return number;
  }

  /** Consumes a word and reads it as an attribute path (relative when inside brackets). */
  readPath(): AttributePath {
    const token = this.peek();
    if (token.kind !== 'word') {
      throw this.fail(`Expected an attribute path at position ${token.position}, found ${this.describe(token)}`);
    }
    this.next();
    const path = parseAttributePath(token, this.fail);
    if (this.openBracket !== undefined && (path.uri !== undefined || path.subAttribute !== undefined)) {
      throw this.fail(
        `Attribute paths inside "[ ]" are relative to the multi-valued attribute: expected a plain attribute name ` +
          `at position ${token.position}, found ${this.describe(token)}`,
      );
    }
    return path;
  }

  /** At a `[` after `path`: consumes the value filter up to and including its `]`. */
  readValueFilter(path: AttributePath): Filter {
    const open = this.next();
    if (this.openBracket !== undefined) {
      throw this.fail(
        `Value filters cannot be nested: "[" at position ${open.position} is inside the "[" ` +
          `at position ${this.openBracket.position}`,
      );
    }
    if (path.subAttribute !== undefined) {
      throw this.fail(
        `A value filter "[" must follow a multi-valued attribute, not the sub-attribute "${path.subAttribute}" ` +
          `(at position ${open.position})`,
      );
    }
    this.enter(open);
    this.openBracket = open;
    const filter = this.parseOr();
    this.expectClosing(open, 'rbracket', ']');
    this.openBracket = undefined;
    this.depth -= 1;
    return filter;
  }

  /** At a word `.name` after `]`: consumes it and returns `name`. */
  readSubAttribute(): string {
    const token = this.next();
    const name = token.text.slice(1);
    if (name === '') {
      throw this.fail(`Expected a sub-attribute name after "." at position ${token.position + 1}, found ${this.describe(this.peek())}`);
    }
    if (!ATTRNAME.test(name)) {
      throw this.fail(`Invalid sub-attribute name "${name}" at position ${token.position + 1}: ${NAME_RULE}`);
    }
    return name;
  }

  private expectClosing(open: Token, kind: 'rparen' | 'rbracket', close: string): void {
    const token = this.peek();
    if (token.kind === kind) {
      this.next();
      return;
    }
    if (token.kind === 'end') {
      throw this.fail(
        `Missing "${close}" for the "${open.text}" at position ${open.position}: ` +
          `found end of ${this.subject} at position ${token.position}`,
      );
    }
    throw this.fail(`Expected "and", "or" or "${close}" at position ${token.position}, found ${this.describe(token)}`);
  }

  private enter(open: Token): void {
    if (this.depth >= MAX_FILTER_DEPTH) {
      throw this.fail(`The ${this.subject} is nested more than ${MAX_FILTER_DEPTH} levels deep at position ${open.position}`);
    }
    this.depth += 1;
  }

  private countTerm(token: Token): void {
    this.terms += 1;
    if (this.terms > MAX_FILTER_TERMS) {
      throw this.fail(
        `The ${this.subject} has more than ${MAX_FILTER_TERMS} comparisons ` +
          `(limit exceeded at position ${token.position})`,
      );
    }
  }

  private isKeyword(token: Token, keyword: 'and' | 'or' | 'not'): boolean {
    return token.kind === 'word' && token.text.toLowerCase() === keyword;
  }
}

/**
 * Reads `[URI ":"] ATTRNAME ["." ATTRNAME]` from one word. The URI is everything up to the last ":".
 */
export function parseAttributePath(token: Token, fail: Fail): AttributePath {
  const text = token.text;
  const colon = text.lastIndexOf(':');
  const uri = colon >= 0 ? text.slice(0, colon) : undefined;
  if (uri !== undefined && !URI.test(uri)) {
    throw fail(`Invalid schema URI "${uri}" in the attribute path at position ${token.position}`);
  }
  const namesStart = colon + 1;
  const names = text.slice(namesStart).split('.');
  if (names.length > 2) {
    const secondDot = text.indexOf('.', text.indexOf('.', namesStart) + 1);
    throw fail(
      `Unexpected "." at position ${token.position + secondDot} in "${text}": ` +
        'only one level of sub-attribute is allowed',
    );
  }
  let offset = namesStart;
  for (const name of names) {
    const position = token.position + offset;
    if (name === '') {
      throw fail(`Expected an attribute name at position ${position} in "${text}"`);
    }
    if (!ATTRNAME.test(name)) {
      throw fail(`Invalid attribute name "${name}" at position ${position}: ${NAME_RULE}`);
    }
    offset += name.length + 1;
  }
  const [attribute = '', subAttribute] = names;
  return {
    ...(uri !== undefined ? { uri } : {}),
    attribute,
    ...(subAttribute !== undefined ? { subAttribute } : {}),
  };
}
