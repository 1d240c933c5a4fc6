import { expect } from 'chai';
import { invalidFilter, ScimError, type ScimType } from '../../../../scim/errors';
import type { AttributePath, CompareOperator, Filter, FilterValue } from '../../../../scim/filter/ast';
import { tokenize, type Token } from '../../../../scim/filter/lexer';
import { FilterParser, MAX_FILTER_LENGTH } from '../../../../scim/filter/parser';

/** Runs `fn`, asserts it throws a 400 ScimError of `scimType` whose detail names a position; returns it. */
export function expectScimError(fn: () => unknown, scimType: ScimType): ScimError {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, 'expected an error to be thrown').to.be.instanceOf(ScimError);
  const error = thrown as ScimError;
  expect(error.status).to.equal(400);
  expect(error.scimType).to.equal(scimType);
  expect(error.detail).to.match(/position \d+/);
  return error;
}

export function path(attribute: string, subAttribute?: string, uri?: string): AttributePath {
  return {
    ...(uri !== undefined ? { uri } : {}),
    attribute,
    ...(subAttribute !== undefined ? { subAttribute } : {}),
  };
}

export const compare = (p: AttributePath | string, op: CompareOperator, value: FilterValue): Filter => ({
  kind: 'compare',
  path: typeof p === 'string' ? path(p) : p,
  op,
  value,
});
export const present = (p: AttributePath | string): Filter => ({ kind: 'present', path: typeof p === 'string' ? path(p) : p });
export const and = (left: Filter, right: Filter): Filter => ({ kind: 'and', left, right });
export const or = (left: Filter, right: Filter): Filter => ({ kind: 'or', left, right });
export const not = (filter: Filter): Filter => ({ kind: 'not', filter });
export const valuePath = (p: AttributePath | string, filter: Filter): Filter => ({
  kind: 'valuePath',
  path: typeof p === 'string' ? path(p) : p,
  filter,
});

export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const CORE_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';

/*
 * Work counting. The parser reads every token through FilterParser#peek (`next` calls it too), and
 * each of its steps does a bounded amount of work besides those reads, so the number of peeks is a
 * clock-free measure of how much work a parse did. A linear parser reads each token a few times; a
 * backtracking or re-scanning one reads some tokens once per earlier token.
 */

/** Most peeks per token a parse may take, and a constant for the error path (measured: ≤ 3.5 per token). */
export const PEEKS_PER_TOKEN = 4;
export const PEEKS_OVERHEAD = 8;

/** Runs `fn` (which must not throw) and counts the parser's token reads while it runs. */
export function countTokenReads<T>(fn: () => T): { readonly value: T; readonly reads: number } {
  const original = Object.getOwnPropertyDescriptor(FilterParser.prototype, 'peek');
  if (original === undefined || typeof original.value !== 'function') throw new Error('FilterParser#peek is gone');
  const peek = original.value as (this: FilterParser) => Token;
  let reads = 0;
  FilterParser.prototype.peek = function countedPeek(this: FilterParser): Token {
    reads += 1;
    return peek.call(this);
  };
  try {
    const value = fn();
    return { value, reads };
  } finally {
    Object.defineProperty(FilterParser.prototype, 'peek', original);
  }
}

/**
 * Asserts the input bounds did their job for `text`, given the token reads its parse took: over
 * MAX_FILTER_LENGTH, or refused by the lexer, the parser never ran; otherwise it ran and read each
 * token at most PEEKS_PER_TOKEN times (plus PEEKS_OVERHEAD).
 */
export function expectBoundedWork(text: string, reads: number): void {
  const context = `${JSON.stringify(text.slice(0, 80))} (${text.length} chars)`;
  if (text.length > MAX_FILTER_LENGTH) {
    expect(reads, `${context}: over the length limit, so refused before tokenizing`).to.equal(0);
    return;
  }
  let tokens: number;
  try {
    tokens = tokenize(text, invalidFilter).length;
  } catch (error) {
    expect(error, context).to.be.instanceOf(ScimError);
    expect(reads, `${context}: refused by the lexer, so never parsed`).to.equal(0);
    return;
  }
  // Above zero: the parser always reads its first token, so zero means the counting is broken.
  expect(reads, `${context}: ${tokens} tokens`).to.be.within(1, PEEKS_PER_TOKEN * tokens + PEEKS_OVERHEAD);
}
