import { expect } from 'chai';
import type { ScimType } from '../../../../scim/errors';
import { parsePatchRequest, PATCH_OP_URN } from '../../../../scim/patch';
import { body, expectScimError } from './helpers';

describe('parsePatchRequest (RFC 7644 §3.5.2 PatchOp message)', () => {
  const accepted: { name: string; input: unknown; expected: unknown }[] = [
    {
      name: 'an add with a path is returned with the path parsed',
      input: body({ op: 'add', path: 'nickName', value: 'Babs' }),
      expected: [{ op: 'add', path: { path: { attribute: 'nickName' } }, pathText: 'nickName', value: 'Babs' }],
    },
    {
      name: 'a path with a value filter and a sub-attribute is parsed into its three parts',
      input: body({ op: 'replace', path: 'emails[type eq "work"].value', value: 'x@example.com' }),
      expected: [{
        op: 'replace',
        path: {
          path: { attribute: 'emails' },
          filter: { kind: 'compare', path: { attribute: 'type' }, op: 'eq', value: 'work' },
          subAttribute: 'value',
        },
        pathText: 'emails[type eq "work"].value',
        value: 'x@example.com',
      }],
    },
    {
      name: 'capitalised op names, as Microsoft Entra ID sends them, are lower-cased',
      input: body(
        { op: 'Add', path: 'title', value: 'x' },
        { op: 'Replace', path: 'title', value: 'y' },
        { op: 'Remove', path: 'title' },
        { op: 'REPLACE', value: { title: 'z' } },
      ),
      expected: [
        { op: 'add', path: { path: { attribute: 'title' } }, pathText: 'title', value: 'x' },
        { op: 'replace', path: { path: { attribute: 'title' } }, pathText: 'title', value: 'y' },
        { op: 'remove', path: { path: { attribute: 'title' } }, pathText: 'title' },
        { op: 'replace', value: { title: 'z' } },
      ],
    },
    {
      name: 'the "Operations" key and the operation member names are matched ignoring case',
      input: { SCHEMAS: [PATCH_OP_URN], operations: [{ Op: 'add', Path: 'title', Value: 'x' }] },
      expected: [{ op: 'add', path: { path: { attribute: 'title' } }, pathText: 'title', value: 'x' }],
    },
    {
      name: 'the PatchOp URN is matched ignoring case and other schemas are tolerated',
      input: { schemas: ['urn:example:other', PATCH_OP_URN.toUpperCase()], Operations: [{ op: 'remove', path: 'title' }] },
      expected: [{ op: 'remove', path: { path: { attribute: 'title' } }, pathText: 'title' }],
    },
    {
      name: 'an add or replace without path keeps its object value and has no path',
      input: body({ op: 'replace', value: { active: false } }),
      expected: [{ op: 'replace', value: { active: false } }],
    },
    {
      name: 'an empty or blank path counts as no path',
      input: body({ op: 'add', path: '', value: { title: 'x' } }, { op: 'add', path: '  ', value: { title: 'y' } }),
      expected: [{ op: 'add', value: { title: 'x' } }, { op: 'add', value: { title: 'y' } }],
    },
    {
      name: 'a remove keeps its value (Microsoft Entra ID removes members by a value list)',
      input: body({ op: 'Remove', path: 'members', value: [{ value: 'id1' }] }),
      expected: [{ op: 'remove', path: { path: { attribute: 'members' } }, pathText: 'members', value: [{ value: 'id1' }] }],
    },
    {
      name: 'a URN-qualified path keeps its schema URN',
      input: body({ op: 'add', path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department', value: 'R&D' }),
      expected: [{
        op: 'add',
        path: { path: { uri: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', attribute: 'department' } },
        pathText: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department',
        value: 'R&D',
      }],
    },
    {
      name: 'a value false or an empty string is a value',
      input: body({ op: 'replace', path: 'active', value: false }, { op: 'add', path: 'title', value: '' }),
      expected: [
        { op: 'replace', path: { path: { attribute: 'active' } }, pathText: 'active', value: false },
        { op: 'add', path: { path: { attribute: 'title' } }, pathText: 'title', value: '' },
      ],
    },
  ];

  for (const { name, input, expected } of accepted) {
    it(`accepts: ${name}`, () => {
      expect(parsePatchRequest(input)).to.deep.equal(expected);
    });
  }

  const rejected: { name: string; input: unknown; scimType: ScimType; detail: string }[] = [
    { name: 'a body that is not an object', input: [], scimType: 'invalidSyntax', detail: 'JSON object' },
    { name: 'a body without schemas', input: { Operations: [{ op: 'remove', path: 'title' }] }, scimType: 'invalidSyntax', detail: PATCH_OP_URN },
    {
      name: 'schemas without the PatchOp URN',
      input: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], Operations: [{ op: 'remove', path: 'title' }] },
      scimType: 'invalidSyntax',
      detail: PATCH_OP_URN,
    },
    { name: 'schemas given as a string', input: { schemas: PATCH_OP_URN, Operations: [] }, scimType: 'invalidSyntax', detail: 'schemas' },
    { name: 'a message without Operations', input: { schemas: [PATCH_OP_URN] }, scimType: 'invalidSyntax', detail: 'Operations' },
    { name: 'an empty Operations array', input: body(), scimType: 'invalidSyntax', detail: 'non-empty' },
    { name: 'Operations given as an object', input: { schemas: [PATCH_OP_URN], Operations: { op: 'add' } }, scimType: 'invalidSyntax', detail: 'Operations' },
    { name: 'an operation that is not an object', input: body('add'), scimType: 'invalidSyntax', detail: 'Operations[0]' },
    { name: 'an unknown op', input: body({ op: 'move', path: 'title', value: 'x' }), scimType: 'invalidSyntax', detail: '"move"' },
    { name: 'an operation without op', input: body({ path: 'title', value: 'x' }), scimType: 'invalidSyntax', detail: '"op"' },
    { name: 'a path that is not a string', input: body({ op: 'add', path: 5, value: 'x' }), scimType: 'invalidPath', detail: 'path' },
    { name: 'a path that does not parse', input: body({ op: 'add', path: 'emails[type eq', value: 'x' }), scimType: 'invalidPath', detail: '' },
    { name: 'a remove without path', input: body({ op: 'remove' }), scimType: 'noTarget', detail: 'path' },
    { name: 'a capitalised Remove without path', input: body({ op: 'Remove', value: { title: 'x' } }), scimType: 'noTarget', detail: 'path' },
    { name: 'an add without value', input: body({ op: 'add', path: 'title' }), scimType: 'invalidValue', detail: 'value' },
    { name: 'a replace with a null value', input: body({ op: 'replace', path: 'title', value: null }), scimType: 'invalidValue', detail: 'value' },
    {
      name: 'a bad second operation, naming it',
      input: body({ op: 'add', path: 'title', value: 'x' }, { op: 'replace' }),
      scimType: 'invalidValue',
      detail: 'Operations[1]',
    },
  ];

  for (const { name, input, scimType, detail } of rejected) {
    it(`rejects ${name} with 400 ${scimType}`, () => {
      expectScimError(() => parsePatchRequest(input), 400, scimType, detail);
    });
  }
});
