import { expect } from 'chai';
import type { AttributePath } from '../../../../scim/filter/ast';
import { groupResourceSchema, userResourceSchema } from '../../../../scim/schema';
import { CORE_USER, ENTERPRISE, ROLE } from './helpers';

describe('ResourceSchema.resolve', () => {
  describe('on the User resource type', () => {
    const cases: { path: AttributePath; canonical: string; schema: string }[] = [
      { path: { attribute: 'userName' }, canonical: 'userName', schema: CORE_USER },
      { path: { attribute: 'USERNAME' }, canonical: 'userName', schema: CORE_USER },
      { path: { attribute: 'name', subAttribute: 'familyname' }, canonical: 'name.familyName', schema: CORE_USER },
      { path: { attribute: 'Emails', subAttribute: 'VALUE' }, canonical: 'emails.value', schema: CORE_USER },
      { path: { attribute: 'groups', subAttribute: '$REF' }, canonical: 'groups.$ref', schema: CORE_USER },
      { path: { uri: CORE_USER, attribute: 'userName' }, canonical: 'userName', schema: CORE_USER },
      { path: { uri: CORE_USER.toUpperCase(), attribute: 'displayname' }, canonical: 'displayName', schema: CORE_USER },
      { path: { attribute: 'id' }, canonical: 'id', schema: CORE_USER },
      { path: { attribute: 'externalid' }, canonical: 'externalId', schema: CORE_USER },
      { path: { attribute: 'meta' }, canonical: 'meta', schema: CORE_USER },
      { path: { attribute: 'meta', subAttribute: 'created' }, canonical: 'meta.created', schema: CORE_USER },
      { path: { attribute: 'meta', subAttribute: 'LASTMODIFIED' }, canonical: 'meta.lastModified', schema: CORE_USER },
      { path: { attribute: 'meta', subAttribute: 'resourceType' }, canonical: 'meta.resourceType', schema: CORE_USER },
      { path: { attribute: 'meta', subAttribute: 'location' }, canonical: 'meta.location', schema: CORE_USER },
      { path: { attribute: 'meta', subAttribute: 'version' }, canonical: 'meta.version', schema: CORE_USER },
      { path: { uri: CORE_USER, attribute: 'meta', subAttribute: 'created' }, canonical: 'meta.created', schema: CORE_USER },
      { path: { uri: ENTERPRISE, attribute: 'department' }, canonical: `${ENTERPRISE}:department`, schema: ENTERPRISE },
      {
        path: { uri: ENTERPRISE.toLowerCase(), attribute: 'Manager', subAttribute: 'Value' },
        canonical: `${ENTERPRISE}:manager.value`,
        schema: ENTERPRISE,
      },
      { path: { attribute: `${ENTERPRISE}:department` }, canonical: `${ENTERPRISE}:department`, schema: ENTERPRISE },
      {
        path: { attribute: `${ENTERPRISE.toUpperCase()}:manager.displayname` },
        canonical: `${ENTERPRISE}:manager.displayName`,
        schema: ENTERPRISE,
      },
      {
        path: { attribute: `${ENTERPRISE}:manager`, subAttribute: 'value' },
        canonical: `${ENTERPRISE}:manager.value`,
        schema: ENTERPRISE,
      },
      { path: { attribute: `${CORE_USER}:name.givenName` }, canonical: 'name.givenName', schema: CORE_USER },
    ];
    for (const { path, canonical, schema } of cases) {
      it(`resolves ${JSON.stringify(path)} to ${canonical}`, () => {
        const resolved = userResourceSchema.resolve(path);
        expect(resolved?.canonical).to.equal(canonical);
        expect(resolved?.schema).to.equal(schema);
      });
    }

    it('returns the attribute and sub-attribute definitions', () => {
      const resolved = userResourceSchema.resolve({ attribute: 'name', subAttribute: 'givenName' });
      expect(resolved?.attribute.name).to.equal('name');
      expect(resolved?.attribute.type).to.equal('complex');
      expect(resolved?.subAttribute?.name).to.equal('givenName');
    });

    it('leaves subAttribute out when the path names a whole attribute', () => {
      expect(userResourceSchema.resolve({ attribute: 'emails' })).to.not.have.property('subAttribute');
    });

    const unknown: AttributePath[] = [
      { attribute: 'fooBar' },
      { attribute: 'name', subAttribute: 'nope' },
      { attribute: 'userName', subAttribute: 'value' },
      { attribute: 'department' },
      { uri: ENTERPRISE, attribute: 'userName' },
      { uri: CORE_USER, attribute: 'department' },
      { uri: 'urn:example:unknown', attribute: 'userName' },
      { uri: ROLE, attribute: 'kind' },
      { attribute: `${ENTERPRISE}:nope` },
      { attribute: 'urn:example:unknown:userName' },
      { attribute: `${ENTERPRISE}:manager.value`, subAttribute: 'value' },
      { attribute: 'meta', subAttribute: 'nope' },
    ];
    for (const path of unknown) {
      it(`returns undefined for ${JSON.stringify(path)}`, () => {
        expect(userResourceSchema.resolve(path)).to.equal(undefined);
      });
    }
  });

  describe('on the Group resource type', () => {
    it('resolves members sub-attributes', () => {
      expect(groupResourceSchema.resolve({ attribute: 'MEMBERS', subAttribute: 'value' })?.canonical)
        .to.equal('members.value');
    });

    it('resolves role extension attributes, qualified either way', () => {
      expect(groupResourceSchema.resolve({ uri: ROLE, attribute: 'RISK' })?.canonical).to.equal(`${ROLE}:risk`);
      expect(groupResourceSchema.resolve({ attribute: `${ROLE}:permissions` })?.canonical)
        .to.equal(`${ROLE}:permissions`);
    });

    it('does not resolve User attributes', () => {
      expect(groupResourceSchema.resolve({ attribute: 'userName' })).to.equal(undefined);
      expect(groupResourceSchema.resolve({ uri: ENTERPRISE, attribute: 'department' })).to.equal(undefined);
    });
  });

  describe('resolveName', () => {
    it('splits dotted and URN-qualified names', () => {
      expect(userResourceSchema.resolveName('name.FAMILYNAME')?.canonical).to.equal('name.familyName');
      expect(userResourceSchema.resolveName(`${ENTERPRISE}:manager.value`)?.canonical)
        .to.equal(`${ENTERPRISE}:manager.value`);
      expect(userResourceSchema.resolveName(ENTERPRISE)).to.equal(undefined);
    });
  });
});

describe('ResourceSchema.caseExact', () => {
  const cases: { path: AttributePath; expected: boolean }[] = [
    { path: { attribute: 'id' }, expected: true },
    { path: { attribute: 'externalId' }, expected: true },
    { path: { attribute: 'userName' }, expected: false },
    { path: { attribute: 'emails', subAttribute: 'value' }, expected: false },
    { path: { attribute: 'emails' }, expected: false },
    { path: { attribute: 'meta', subAttribute: 'version' }, expected: true },
    { path: { attribute: 'groups', subAttribute: '$ref' }, expected: true },
    { path: { attribute: 'x509Certificates' }, expected: true },
    { path: { uri: ENTERPRISE, attribute: 'employeeNumber' }, expected: false },
    { path: { attribute: 'unknown' }, expected: false },
  ];
  for (const { path, expected } of cases) {
    it(`is ${expected} for ${JSON.stringify(path)}`, () => {
      expect(userResourceSchema.caseExact(path)).to.equal(expected);
    });
  }
});
