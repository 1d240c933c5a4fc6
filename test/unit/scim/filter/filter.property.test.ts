/**
 * Property tests of the filter and PATCH path parsers (RFC 7644 §3.4.2.2, §3.5.2):
 * - hostile input (arbitrary strings, mutated valid filters, deep nesting, long chains) either
 *   parses or is refused with a 400 ScimError of the right scimType, never anything else, with
 *   work linear in its tokens (counted, never timed);
 * - filters generated from the grammar parse to the AST they were generated from, and printing an
 *   AST back to text round-trips.
 * Run counts are bounded so the file stays well under 30 s on a small machine.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { ScimError, type ScimType } from '../../../../scim/errors';
import {
  MAX_FILTER_DEPTH, MAX_FILTER_LENGTH, MAX_FILTER_TERMS, parseFilter, parsePatchPath,
} from '../../../../scim/filter';
import type { AttributePath, CompareOperator, Filter, FilterValue, PatchPath } from '../../../../scim/filter/ast';
import { CORE_GROUP, CORE_USER, countTokenReads, ENTERPRISE, expectBoundedWork } from './helpers';

/* ---------------------------------------------------------------------------------------------
 * Printer: AST → text. Parenthesises only where precedence requires it (`not` > `and` > `or`,
 * both left-associative), so a round trip also checks the parser's precedence and associativity.
 * ------------------------------------------------------------------------------------------- */

function printPath(path: AttributePath): string {
  const name = path.uri === undefined ? path.attribute : `${path.uri}:${path.attribute}`;
  return path.subAttribute === undefined ? name : `${name}.${path.subAttribute}`;
}

function printValue(value: FilterValue): string {
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  return JSON.stringify(value);
}

function printFilter(filter: Filter): string {
  const wrap = (inner: Filter, needed: boolean): string => (needed ? `(${printFilter(inner)})` : printFilter(inner));
  switch (filter.kind) {
    case 'compare':
      return `${printPath(filter.path)} ${filter.op} ${printValue(filter.value)}`;
    case 'present':
      return `${printPath(filter.path)} pr`;
    case 'and':
      return `${wrap(filter.left, filter.left.kind === 'or')} and `
        + `${wrap(filter.right, filter.right.kind === 'or' || filter.right.kind === 'and')}`;
    case 'or':
      return `${printFilter(filter.left)} or ${wrap(filter.right, filter.right.kind === 'or')}`;
    case 'not':
      return `not (${printFilter(filter.filter)})`;
    case 'valuePath':
      return printValuePath(filter.path, filter.filter);
  }
}

const KEYWORDS = new Set(['and', 'or', 'not']);

/**
 * `attr[filter]`. The parser also accepts Entra ID's `attr[filter].sub op value`, where `sub` may
 * be a word it refuses as an attribute name anywhere else (`and`, `or`, `not`); such an AST can
 * only be written back in that form.
 */
function printValuePath(path: AttributePath, filter: Filter): string {
  if (filter.kind === 'and' && (filter.right.kind === 'compare' || filter.right.kind === 'present')
    && KEYWORDS.has(filter.right.path.attribute.toLowerCase())) {
    const condition = printFilter(filter.right);
    return `${printPath(path)}[${printFilter(filter.left)}].${condition}`;
  }
  return `${printPath(path)}[${printFilter(filter)}]`;
}

function printPatchPath(path: PatchPath): string {
  const filter = path.filter === undefined ? '' : `[${printFilter(path.filter)}]`;
  const sub = path.subAttribute === undefined ? '' : `.${path.subAttribute}`;
  return `${printPath(path.path)}${filter}${sub}`;
}

/* ---------------------------------------------------------------------------------------------
 * Checks shared by the properties.
 * ------------------------------------------------------------------------------------------- */

type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ScimError };

/**
 * Runs `parse(text)`, checks that it either returns or throws a 400 ScimError of `scimType` whose
 * detail is non-empty and names a position inside (or just past) the text, and that the input
 * bounds kept the work linear: no parsing at all past MAX_FILTER_LENGTH or after a lexer error,
 * otherwise a bounded number of reads per token (counted, not timed: see expectBoundedWork).
 */
function attempt<T>(parse: (text: string) => T, text: string, scimType: ScimType): Outcome<T> {
  const { value: outcome, reads } = countTokenReads((): Outcome<T> => {
    try {
      return { ok: true, value: parse(text) };
    } catch (error) {
      if (!(error instanceof ScimError)) {
        throw new Error(`${JSON.stringify(text)} threw ${String(error)} instead of a ScimError`, { cause: error });
      }
      return { ok: false, error };
    }
  });
  expectBoundedWork(text, reads);
  if (!outcome.ok) {
    const { error } = outcome;
    const context = `${JSON.stringify(text.slice(0, 300))} → ${error.detail}`;
    expect({ status: error.status, scimType: error.scimType }, context).to.deep.equal({ status: 400, scimType });
    expect(error.detail.trim(), context).to.not.equal('');
    const positions = [...error.detail.matchAll(/position (\d+)/g)].map((match) => Number(match[1]));
    expect(positions, `${context}: the detail names no position`).to.not.be.empty;
    // A position is 1-based; "one past the end" names the end of the text (or the length limit).
    for (const position of positions) {
      expect(position, context).to.be.within(1, Math.max(text.length, MAX_FILTER_LENGTH) + 1);
    }
  }
  return outcome;
}

/** parseFilter: an AST or invalidFilter; when it parses, printing the AST round-trips. */
function checkFilter(text: string): Outcome<Filter> {
  const outcome = attempt(parseFilter, text, 'invalidFilter');
  if (outcome.ok) {
    const printed = printFilter(outcome.value);
    expect(parseFilter(printed), `${JSON.stringify(text)} printed as ${JSON.stringify(printed)}`).to.deep.equal(outcome.value);
  }
  return outcome;
}

/** parsePatchPath: a PatchPath or invalidPath; when it parses, printing it round-trips. */
function checkPatchPath(text: string): Outcome<PatchPath> {
  const outcome = attempt(parsePatchPath, text, 'invalidPath');
  if (outcome.ok) {
    const printed = printPatchPath(outcome.value);
    expect(parsePatchPath(printed), `${JSON.stringify(text)} printed as ${JSON.stringify(printed)}`)
      .to.deep.equal(outcome.value);
  }
  return outcome;
}

/* ---------------------------------------------------------------------------------------------
 * Generators of valid filters: each yields the tokens of the text and the AST they must parse to.
 * Tokens are joined with random whitespace (required between two words, optional elsewhere).
 * ------------------------------------------------------------------------------------------- */

interface Generated<T> {
  readonly tokens: readonly string[];
  readonly ast: T;
}

/** The word in random letter case. */
const anyCase = (word: string): fc.Arbitrary<string> =>
  fc.array(fc.boolean(), { minLength: word.length, maxLength: word.length })
    .map((flags) => [...word].map((ch, index) => (flags[index] ? ch.toUpperCase() : ch.toLowerCase())).join(''));

const attributeName: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('userName', 'name', 'emails', 'title', 'displayName', 'members', 'value', 'type', 'primary',
    'active', 'x', 'A1', 'a-b_c', 'Z9-', '$ref', '$REF', 'pr', 'eq', 'true', 'null', 'notes', 'order', 'android'),
  fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,11}$/),
).filter((name) => !KEYWORDS.has(name.toLowerCase()));

const schemaUri: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(CORE_USER, CORE_GROUP, ENTERPRISE, 'urn:example:ext:1.0', 'urn:a'),
  fc.tuple(
    fc.stringMatching(/^[A-Za-z][A-Za-z0-9+.-]{0,5}$/),
    fc.array(fc.stringMatching(/^[A-Za-z0-9.$_-]{1,6}$/), { minLength: 1, maxLength: 4 }),
  ).map(([scheme, segments]) => `${scheme}:${segments.join(':')}`),
);

/** attrPath; inside brackets only a plain name is allowed. */
function attributePath(inner: boolean, allowSub = true): fc.Arbitrary<AttributePath> {
  if (inner) return attributeName.map((attribute) => ({ attribute }));
  return fc.record({
    uri: fc.option(schemaUri, { nil: undefined }),
    attribute: attributeName,
    subAttribute: allowSub ? fc.option(attributeName, { nil: undefined }) : fc.constant(undefined),
  }).map(({ uri, attribute, subAttribute }) => ({
    ...(uri !== undefined ? { uri } : {}),
    attribute,
    ...(subAttribute !== undefined ? { subAttribute } : {}),
  }));
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '"': '\\"', '\\': '\\\\', '/': '\\/', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t',
};

const unicodeEscape = (unit: number, upper: boolean): string => {
  const hex = unit.toString(16).padStart(4, '0');
  return `\\u${upper ? hex.toUpperCase() : hex}`;
};

/** A JSON string literal using every escape form, with the value it decodes to. */
const stringLiteral: fc.Arbitrary<{ text: string; value: string }> = fc.array(
  fc.tuple(
    fc.oneof(
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
      fc.constantFrom('"', '\\', '/', '\n', '\t', '\r', '\b', '\f', '\u0000', '\u001f', '\u007f', '\u2028', '\ud800',
        '\udfff', 'é', '😀', ' ', '(', ')', '[', ']', 'and', ' or ', 'not (', ':', '.'),
    ),
    fc.integer({ min: 0, max: 2 }),
    fc.boolean(),
  ),
  { maxLength: 10 },
).map((parts) => {
  let text = '"';
  let value = '';
  for (const [chunk, style, upper] of parts) {
    value += chunk;
    for (let i = 0; i < chunk.length; i++) {
      const unit = chunk.charAt(i);
      const code = chunk.charCodeAt(i);
      const mustEscape = unit === '"' || unit === '\\' || code < 0x20;
      const simple = SIMPLE_ESCAPES[unit];
      if (style === 1 || (mustEscape && simple === undefined)) text += unicodeEscape(code, upper);
      else if (style === 2 && simple !== undefined) text += simple;
      else if (mustEscape) text += simple ?? unicodeEscape(code, upper);
      else text += unit;
    }
  }
  return { text: `${text}"`, value };
});

/** A JSON number literal in any of its forms, with its value. */
const numberLiteral: fc.Arbitrary<{ text: string; value: number }> = fc.tuple(
  fc.constantFrom('', '-'),
  fc.oneof(fc.constant('0'), fc.stringMatching(/^[1-9][0-9]{0,8}$/)),
  fc.option(fc.stringMatching(/^\.[0-9]{1,6}$/), { nil: undefined }),
  fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), fc.stringMatching(/^[0-9]{1,2}$/)),
    { nil: undefined }),
).map(([sign, integer, fraction, exponent]) => {
  const text = `${sign}${integer}${fraction ?? ''}${exponent ? exponent.join('') : ''}`;
  return { text, value: Number(text) };
});

const literal = (word: 'true' | 'false' | 'null', value: boolean | null): fc.Arbitrary<{ text: string; value: FilterValue }> =>
  anyCase(word).map((text) => ({ text, value }));

function valueFor(op: CompareOperator): fc.Arbitrary<{ text: string; value: FilterValue }> {
  if (op === 'co' || op === 'sw' || op === 'ew') return stringLiteral;
  if (op === 'gt' || op === 'ge' || op === 'lt' || op === 'le') return fc.oneof(stringLiteral, numberLiteral);
  return fc.oneof(stringLiteral, numberLiteral, literal('true', true), literal('false', false), literal('null', null));
}

const OPERATORS: readonly CompareOperator[] = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'];

const operatorAndValue: fc.Arbitrary<{ opText: string; op: CompareOperator; text: string; value: FilterValue }> =
  fc.constantFrom(...OPERATORS).chain((op) => fc.tuple(anyCase(op), valueFor(op))
    .map(([opText, { text, value }]) => ({ opText, op, text, value })));

/** attrPath pr  /  attrPath op value */
function condition(path: fc.Arbitrary<AttributePath>): fc.Arbitrary<Generated<Filter>> {
  return fc.oneof(
    fc.tuple(path, anyCase('pr')).map(([p, pr]): Generated<Filter> => ({
      tokens: [printPath(p), pr], ast: { kind: 'present', path: p },
    })),
    fc.tuple(path, operatorAndValue).map(([p, { opText, op, text, value }]): Generated<Filter> => ({
      tokens: [printPath(p), opText, text], ast: { kind: 'compare', path: p, op, value },
    })),
  );
}

/** attrPath "[" valFilter "]", optionally followed by Entra ID's `.sub op value`. */
function valuePath(innerDepth: number): fc.Arbitrary<Generated<Filter>> {
  return fc.tuple(
    attributePath(false, false),
    filterGen(innerDepth, true),
    fc.option(condition(attributeName.map((attribute) => ({ attribute }))), { nil: undefined }),
  ).map(([p, inner, entra]): Generated<Filter> => {
    const tokens = [printPath(p), '[', ...inner.tokens, ']'];
    if (entra === undefined) return { tokens, ast: { kind: 'valuePath', path: p, filter: inner.ast } };
    // `.sub op value` after "]": the sub-attribute path is the first token of the condition.
    const [subName = '', ...rest] = entra.tokens;
    return {
      tokens: [...tokens, `.${subName}`, ...rest],
      ast: { kind: 'valuePath', path: p, filter: { kind: 'and', left: inner.ast, right: entra.ast } },
    };
  });
}

const grouped = (generated: Generated<Filter>, needed: boolean): readonly string[] =>
  (needed ? ['(', ...generated.tokens, ')'] : generated.tokens);

const filterCache = new Map<string, fc.Arbitrary<Generated<Filter>>>();

/**
 * Filters of nesting depth at most `depth` (each level adds at most three levels of parentheses,
 * so depth 4 stays well inside MAX_FILTER_DEPTH, and at most 16 leaves of at most 5 terms each,
 * well inside MAX_FILTER_TERMS). `inner`: inside a value path's brackets.
 */
function filterGen(depth: number, inner: boolean): fc.Arbitrary<Generated<Filter>> {
  const key = `${depth}:${inner}`;
  const cached = filterCache.get(key);
  if (cached) return cached;
  const leaves = [condition(attributePath(inner))];
  if (!inner && depth > 0) leaves.push(valuePath(Math.min(depth - 1, 2)));
  const leaf = fc.oneof(...leaves);
  let result: fc.Arbitrary<Generated<Filter>> = leaf;
  if (depth > 0) {
    const sub = filterGen(depth - 1, inner);
    const logical = (keyword: 'and' | 'or'): fc.Arbitrary<Generated<Filter>> =>
      fc.tuple(sub, anyCase(keyword), sub).map(([left, word, right]): Generated<Filter> => {
        const leftNeeds = keyword === 'and' && left.ast.kind === 'or';
        const rightNeeds = right.ast.kind === 'or' || (keyword === 'and' && right.ast.kind === 'and');
        return {
          tokens: [...grouped(left, leftNeeds), word, ...grouped(right, rightNeeds)],
          ast: { kind: keyword, left: left.ast, right: right.ast },
        };
      });
    result = fc.oneof(
      { arbitrary: leaf, weight: 3 },
      { arbitrary: logical('and'), weight: 2 },
      { arbitrary: logical('or'), weight: 2 },
      {
        arbitrary: fc.tuple(anyCase('not'), sub).map(([word, f]): Generated<Filter> => ({
          tokens: [word, '(', ...f.tokens, ')'], ast: { kind: 'not', filter: f.ast },
        })),
        weight: 1,
      },
      // Redundant grouping: no node in the AST.
      { arbitrary: sub.map((f): Generated<Filter> => ({ tokens: ['(', ...f.tokens, ')'], ast: f.ast })), weight: 1 },
    );
  }
  filterCache.set(key, result);
  return result;
}

/** PATH = attrPath / valuePath [subAttr] */
const patchPathGen: fc.Arbitrary<Generated<PatchPath>> = fc.oneof(
  attributePath(false).map((p): Generated<PatchPath> => ({ tokens: [printPath(p)], ast: { path: p } })),
  fc.tuple(attributePath(false, false), filterGen(2, true), fc.option(attributeName, { nil: undefined }))
    .map(([p, inner, sub]): Generated<PatchPath> => ({
      tokens: [printPath(p), '[', ...inner.tokens, ']', ...(sub === undefined ? [] : [`.${sub}`])],
      ast: { path: p, filter: inner.ast, ...(sub === undefined ? {} : { subAttribute: sub }) },
    })),
);

const isWordChar = (ch: string | undefined): boolean => ch !== undefined && !/[\s()[\]"]/.test(ch);
const REQUIRED_SPACE = [' ', '  ', '\t', '\n', '\r\n', ' \r\t '] as const;
const OPTIONAL_SPACE = ['', '', '', ' ', '\n', '\t'] as const;

/** Joins the tokens with random whitespace: at least one character between two words. */
function withWhitespace<T>(generated: fc.Arbitrary<Generated<T>>): fc.Arbitrary<{ text: string; ast: T }> {
  return generated.chain(({ tokens, ast }) => fc.array(fc.nat(), { minLength: tokens.length + 1, maxLength: tokens.length + 1 })
    .map((choices) => {
      let text = '';
      tokens.forEach((token, index) => {
        const choice = choices[index] ?? 0;
        const needed = isWordChar(text.at(-1)) && isWordChar(token.charAt(0));
        const spaces = needed ? REQUIRED_SPACE : OPTIONAL_SPACE;
        text += `${spaces[choice % spaces.length] ?? ' '}${token}`;
      });
      text += OPTIONAL_SPACE[(choices[tokens.length] ?? 0) % OPTIONAL_SPACE.length] ?? '';
      return { text, ast };
    }));
}

const validFilter = withWhitespace(filterGen(4, false));
const validPatchPath = withWhitespace(patchPathGen);

/* ---------------------------------------------------------------------------------------------
 * Hostile input.
 * ------------------------------------------------------------------------------------------- */

/** Pieces that steer a mutated filter into the parser's corners. */
const SPLICES = [
  'and', 'or', 'not', 'not (', 'NOT(', '(', ')', '((', '))', '[', ']', '[]', '"', '\\', '\\u', '\\u00', '\\uZZZZ', '\\x',
  '.', '..', '.value', ':', 'urn:', 'urn:x:', '::', ' ', '\t', '\n', '\u0000', '\u000b', '\u00a0', '\u2028', 'eq', 'EQ', 'pr',
  'co', 'gt', '1e999', '-1e400', '-', '01', '1.', '.5', '+1', '0x10', 'NaN', 'Infinity', '$ref', '$', 'true', 'null',
  'False', '"x"', '""', '"\\"', '[a pr]', '[type eq "x"]', 'emails[', 'a pr', 'a eq 1 and', 'or b pr', '😀', '\ud800',
];

const filterAlphabet = fc.constantFrom(...'aeqnotrp .:()[]"\\$1-_uE0'.split(''), 'and', 'or', 'not', ' eq ', ' pr',
  '"', 'x', '.', '\\u');

type Mutation =
  | { readonly kind: 'insert'; readonly at: number; readonly text: string }
  | { readonly kind: 'delete'; readonly at: number; readonly length: number }
  | { readonly kind: 'replace'; readonly at: number; readonly text: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.oneof(fc.constantFrom(...SPLICES), fc.string({ unit: 'binary', minLength: 1, maxLength: 3 })),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }) }),
  fc.record({
    kind: fc.constant('replace' as const),
    at: fc.nat(),
    text: fc.oneof(fc.constantFrom(...SPLICES), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })),
  }),
);

function mutate(text: string, mutations: readonly Mutation[]): string {
  let result = text;
  for (const m of mutations) {
    const at = m.at % (result.length + 1);
    switch (m.kind) {
      case 'insert':
        result = result.slice(0, at) + m.text + result.slice(at);
        break;
      case 'delete':
        result = result.slice(0, at) + result.slice(at + m.length);
        break;
      case 'replace':
        result = result.slice(0, at) + m.text + result.slice(at + 1);
        break;
    }
  }
  return result;
}

const mutatedFilter = fc.tuple(validFilter, fc.array(mutation, { minLength: 1, maxLength: 4 }))
  .map(([{ text }, mutations]) => mutate(text, mutations));
const mutatedPatchPath = fc.tuple(validPatchPath, fc.array(mutation, { minLength: 1, maxLength: 4 }))
  .map(([{ text }, mutations]) => mutate(text, mutations));

/** 4 KB inputs built to make a careless parser slow: long runs, deep groups, many terms. */
function pathologicalInputs(length: number): string[] {
  /** `piece` repeated to fill `length` characters (minus `tail`), then `tail`. */
  const fill = (piece: string, tail = ''): string => piece.repeat(Math.floor((length - tail.length) / piece.length)) + tail;
  return [
    fill('('),
    fill(')'),
    fill('['),
    fill('a['),
    fill('not ('),
    fill('not'),
    fill('"'),
    `"${fill('\\u00e9', '"').slice(1)}`,
    `"${fill('\\"')}`,
    fill('\\'),
    fill('a'),
    fill('a.'),
    fill('a:'),
    fill(':'),
    fill('urn:x:'),
    fill('a pr and '),
    fill('a pr or '),
    fill('a eq 1 and ', 'a eq 1'),
    fill('(a pr) or ', 'a pr'),
    fill('emails[type eq "x"] or ', 'a pr'),
    fill('1'),
    fill('-'),
    fill('1e'),
    fill(' '),
    fill('\n'),
    fill('😀'),
    fill('\u0000'),
    `a eq ${fill('9', '')}`.slice(0, length),
    `a eq "${fill('x', '"')}`.slice(0, length),
  ];
}

/* ---------------------------------------------------------------------------------------------
 * The properties.
 * ------------------------------------------------------------------------------------------- */

describe('parseFilter (property-based)', function () {
  this.timeout(30_000);

  it('returns an AST or a 400 invalidFilter for arbitrary strings', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 120 }), (text) => {
      checkFilter(text);
    }), { numRuns: 3000 });
  });

  it('returns an AST or a 400 invalidFilter for strings over the filter alphabet', () => {
    fc.assert(fc.property(fc.array(filterAlphabet, { maxLength: 60 }).map((parts) => parts.join('')), (text) => {
      checkFilter(text);
    }), { numRuns: 4000 });
  });

  it('parses generated valid filters to the AST they were generated from, and printing round-trips', () => {
    fc.assert(fc.property(validFilter, ({ text, ast }) => {
      const outcome = checkFilter(text);
      if (!outcome.ok) expect.fail(`${JSON.stringify(text)} was refused: ${outcome.error.detail}`);
      expect(outcome.value, JSON.stringify(text)).to.deep.equal(ast);
    }), { numRuns: 1500 });
  });

  it('returns an AST or a 400 invalidFilter for mutated valid filters', () => {
    fc.assert(fc.property(mutatedFilter, (text) => {
      checkFilter(text);
    }), { numRuns: 3000 });
  });

  it('accepts nested groups up to MAX_FILTER_DEPTH and refuses deeper ones', () => {
    /** Each shape: the text for n, and how deep it nests. */
    const shapes: ReadonlyArray<{ readonly text: (n: number) => string; readonly depth: (n: number) => number }> = [
      { text: (n) => `${'('.repeat(n)}a pr${')'.repeat(n)}`, depth: (n) => n },
      { text: (n) => `${'not ('.repeat(n)}a pr${')'.repeat(n)}`, depth: (n) => n },
      { text: (n) => `${'NOT('.repeat(n)}a eq "x"${')'.repeat(n)}`, depth: (n) => n },
      { text: (n) => `${'(b pr and '.repeat(n)}a pr${')'.repeat(n)}`, depth: (n) => n },
      { text: (n) => `${'(b pr or not ('.repeat(n)}a pr${'))'.repeat(n)}`, depth: (n) => 2 * n },
      {
        text: (n) => `emails[${'('.repeat(Math.max(n - 1, 0))}type pr${')'.repeat(Math.max(n - 1, 0))}]`,
        depth: (n) => Math.max(n, 1),
      },
    ];
    fc.assert(fc.property(fc.constantFrom(...shapes), fc.integer({ min: 0, max: 900 }), (shape, n) => {
      const text = shape.text(n);
      const depth = shape.depth(n);
      const outcome = checkFilter(text);
      if (text.length <= MAX_FILTER_LENGTH && depth <= MAX_FILTER_DEPTH) {
        expect(outcome.ok, `${text.slice(0, 80)}… (depth ${depth}) should parse`).to.equal(true);
      } else {
        expect(outcome.ok, `${text.slice(0, 80)}… (depth ${depth}, ${text.length} chars) should be refused`).to.equal(false);
      }
    }), { numRuns: 300 });
  });

  it('accepts long and/or chains up to MAX_FILTER_TERMS and refuses longer ones', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 600 }),
      fc.constantFrom('a pr', 'a eq 1', 'x.y sw "z"', 'emails[type eq "w"]', 'emails[type eq "w" and value pr]'),
      fc.constantFrom(' and ', ' or ', ' AND ', ')and(', ' or not '),
      (count, term, joiner) => {
        const parenthesised = joiner.startsWith(')');
        const notted = joiner.includes('not');
        const parts = Array.from({ length: count }, () => term);
        let text = parts.join(joiner);
        if (parenthesised) text = `(${text})`;
        if (notted) text = parts.map((part, index) => (index === 0 ? part : `(${part})`)).join(joiner);
        const termsPer = (term.match(/ pr| eq | sw /g) ?? []).length;
        const outcome = checkFilter(text);
        const fits = text.length <= MAX_FILTER_LENGTH && count * termsPer <= MAX_FILTER_TERMS;
        expect(outcome.ok, `${count} × ${JSON.stringify(term)} joined by ${JSON.stringify(joiner)} (${text.length} chars)`)
          .to.equal(fits);
      },
    ), { numRuns: 300 });
  });

  it('refuses every filter longer than MAX_FILTER_LENGTH, whatever it contains', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 3000 }),
      fc.constantFrom('a', ' ', '(', '"', 'a pr and '),
      (extra, piece) => {
        const text = `a pr${' '.repeat(MAX_FILTER_LENGTH)}`.slice(0, MAX_FILTER_LENGTH - 4)
          + piece.repeat(Math.ceil((extra + 4) / piece.length));
        expect(text.length).to.be.greaterThan(MAX_FILTER_LENGTH);
        const outcome = checkFilter(text);
        expect(outcome.ok).to.equal(false);
      },
    ), { numRuns: 100 });
  });

  it('answers pathological 4 KB inputs with a bounded number of reads per token', () => {
    let tooLong = 0;
    for (const length of [MAX_FILTER_LENGTH, MAX_FILTER_LENGTH + 1]) {
      for (const text of pathologicalInputs(length)) {
        const outcome = checkFilter(text);
        if (text.length <= MAX_FILTER_LENGTH) continue;
        expect(outcome.ok, `${text.length} chars`).to.equal(false);
        tooLong += 1;
      }
    }
    expect(tooLong, 'inputs over the length limit').to.be.above(0);
  });

  it('round-trips the Entra ID form whose sub-attribute is a keyword (a name refused anywhere else)', () => {
    for (const text of ['emails[type eq "x"].and ew "y"', 'emails[type eq "x"].not pr', 'emails[a pr or b pr].OR eq 1']) {
      expect(checkFilter(text).ok, text).to.equal(true);
    }
  });
});

describe('parsePatchPath (property-based)', function () {
  this.timeout(30_000);

  it('returns a path or a 400 invalidPath for arbitrary strings', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (text) => {
      checkPatchPath(text);
    }), { numRuns: 2000 });
  });

  it('returns a path or a 400 invalidPath for strings over the filter alphabet', () => {
    fc.assert(fc.property(fc.array(filterAlphabet, { maxLength: 40 }).map((parts) => parts.join('')), (text) => {
      checkPatchPath(text);
    }), { numRuns: 3000 });
  });

  it('parses generated valid paths to the AST they were generated from, and printing round-trips', () => {
    fc.assert(fc.property(validPatchPath, ({ text, ast }) => {
      const outcome = checkPatchPath(text);
      if (!outcome.ok) expect.fail(`${JSON.stringify(text)} was refused: ${outcome.error.detail}`);
      expect(outcome.value, JSON.stringify(text)).to.deep.equal(ast);
    }), { numRuns: 1500 });
  });

  it('returns a path or a 400 invalidPath for mutated valid paths', () => {
    fc.assert(fc.property(mutatedPatchPath, (text) => {
      checkPatchPath(text);
    }), { numRuns: 3000 });
  });

  it('answers filters with a path or invalidPath, and refuses value paths nested too deep', () => {
    fc.assert(fc.property(validFilter, fc.integer({ min: 0, max: 60 }), ({ text }, depth) => {
      checkPatchPath(text);
      const deep = checkPatchPath(`emails[${'('.repeat(depth)}type pr${')'.repeat(depth)}].value`);
      expect(deep.ok, `value path nested ${depth + 1} levels`).to.equal(depth + 1 <= MAX_FILTER_DEPTH);
    }), { numRuns: 300 });
  });

  it('answers pathological 4 KB inputs with a bounded number of reads per token', () => {
    let tooLong = 0;
    for (const length of [MAX_FILTER_LENGTH, MAX_FILTER_LENGTH + 1]) {
      for (const text of pathologicalInputs(length)) {
        const outcome = checkPatchPath(text);
        if (text.length <= MAX_FILTER_LENGTH) continue;
        expect(outcome.ok, `${text.length} chars`).to.equal(false);
        tooLong += 1;
      }
    }
    expect(tooLong, 'inputs over the length limit').to.be.above(0);
  });
});
