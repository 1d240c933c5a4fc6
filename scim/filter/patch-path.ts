/**
 * PATCH operation paths, RFC 7644 §3.5.2:
 *
 *   PATH = attrPath / valuePath [subAttr]
 *
 * e.g. `members`, `name.givenName`, `emails[type eq "work"].value`,
 * `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`.
 * Uses the filter parser's internals; every problem is reported as `invalidPath` with a position.
 */
import { invalidPath } from '../errors';
import type { Filter, PatchPath } from './ast';
import { createParser } from './parser';

export function parsePatchPath(text: string): PatchPath {
  const parser = createParser(text, invalidPath, 'path');
  const first = parser.peek();
  if (first.kind === 'end') {
    throw parser.fail(`The path is empty: expected an attribute path at position ${first.position}`);
  }
  const path = parser.readPath();

  let filter: Filter | undefined;
  let subAttribute: string | undefined;
  let expected = '"[" or end of path';
  if (parser.peek().kind === 'lbracket') {
    filter = parser.readValueFilter(path);
    expected = '"." followed by a sub-attribute, or end of path';
    const dot = parser.peek();
    if (dot.kind === 'word' && dot.text.startsWith('.')) {
      subAttribute = parser.readSubAttribute();
      expected = 'end of path';
    }
  }

  const rest = parser.peek();
  if (rest.kind !== 'end') {
    throw parser.fail(`Expected ${expected} at position ${rest.position}, found ${parser.describe(rest)}`);
  }
  return {
    path,
    ...(filter !== undefined ? { filter } : {}),
    ...(subAttribute !== undefined ? { subAttribute } : {}),
  };
}
