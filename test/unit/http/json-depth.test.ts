import { expect } from 'chai';
import { MAX_JSON_DEPTH, nestingDepth } from '../../../src/http/json-depth';

describe('json-depth', () => {
  describe('nestingDepth()', () => {
    it('counts the deepest nesting of objects and arrays, and 0 for a scalar', () => {
      const cases: [string, number][] = [
        ['42', 0], ['"text"', 0], ['null', 0], ['{}', 1], ['[]', 1], ['[{}]', 2], ['{"a":{"b":[1,2,{"c":null}]}}', 4],
        ['[[1],[[2]],[3]]', 3], ['{"a":[]} ', 2],
      ];
      for (const [text, depth] of cases) expect(nestingDepth(text), text).to.equal(depth);
    });

    it('agrees with the depth of the parsed value on every RFC 7644 shape scimd sees', () => {
      const patch = { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'add', path: 'emails', value: [{ value: 'a@example.com', type: 'work' }] }] };
      const bulk = { schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
        Operations: [{ method: 'PATCH', path: '/Users/1', data: patch }] };
      expect(nestingDepth(JSON.stringify(patch))).to.equal(5);
      expect(nestingDepth(JSON.stringify(bulk))).to.equal(8);
      expect(nestingDepth(JSON.stringify(bulk))).to.be.below(MAX_JSON_DEPTH);
    });

    it('does not count brackets inside strings, escaped quotes and backslashes included', () => {
      expect(nestingDepth('{"a":"[[[{{{"}')).to.equal(1);
      expect(nestingDepth(String.raw`{"a":"quote \" then [[[ still inside"}`)).to.equal(1);
      expect(nestingDepth(String.raw`{"a":"ends in a backslash \\","b":[[1]]}`)).to.equal(3);
      expect(nestingDepth(String.raw`["\\\"[[[", {}]`)).to.equal(2);
      expect(nestingDepth('{"[":{"]":{"}":1}}}')).to.equal(3);
    });

    it('counts 100,000 levels in a loop, without running out of stack', () => {
      const text = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
      expect(nestingDepth(text)).to.equal(100_000);
    });

    it('stops as soon as the depth passes stopAbove', () => {
      const text = `${'{"a":'.repeat(1000)}1${'}'.repeat(1000)}`;
      expect(nestingDepth(text, MAX_JSON_DEPTH)).to.equal(MAX_JSON_DEPTH + 1);
      expect(nestingDepth(`${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`, MAX_JSON_DEPTH)).to.equal(MAX_JSON_DEPTH);
    });

    it('gives text that is not JSON a number too, and never throws', () => {
      expect(nestingDepth('[[[')).to.equal(3);
      expect(nestingDepth(']]]{')).to.equal(1);
      expect(nestingDepth('"unterminated [[[')).to.equal(0);
      expect(nestingDepth('')).to.equal(0);
    });
  });
});
