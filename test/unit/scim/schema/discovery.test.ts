import { expect } from 'chai';
import { ScimError } from '../../../../scim/errors';
import {
  GROUP_SCHEMA_URN, LIST_RESPONSE_URN, RESOURCE_TYPE_SCHEMA_URN, resourceTypeResponse, resourceTypesListResponse,
  SCHEMA_SCHEMA_URN, schemaResponse, schemasListResponse, type ScimObject,
} from '../../../../scim/schema';
import { CORE_GROUP, CORE_USER, ENTERPRISE, ROLE } from './helpers';

const BASE = 'http://127.0.0.1:8080/scim/v2';
const CHARACTERISTICS = [
  'name', 'type', 'multiValued', 'description', 'required', 'caseExact', 'mutability', 'returned', 'uniqueness',
];

const resourcesOf = (list: ScimObject): ScimObject[] => list['Resources'] as ScimObject[];

/** Every attribute of a representation, sub-attributes included, with its dotted name. */
function allAttributes(attributes: ScimObject[], prefix = ''): [string, ScimObject][] {
  return attributes.flatMap((attribute) => [
    [`${prefix}${String(attribute['name'])}`, attribute] as [string, ScimObject],
    ...allAttributes((attribute['subAttributes'] ?? []) as ScimObject[], `${String(attribute['name'])}.`),
  ]);
}

describe('discovery', () => {
  describe('GET /Schemas', () => {
    const list = schemasListResponse(BASE);

    it('is a ListResponse of the four schemas', () => {
      expect(list['schemas']).to.deep.equal([LIST_RESPONSE_URN]);
      expect(list['totalResults']).to.equal(4);
      expect(list['startIndex']).to.equal(1);
      expect(list['itemsPerPage']).to.equal(4);
      expect(resourcesOf(list).map((schema) => schema['id'])).to.deep.equal([CORE_USER, ENTERPRISE, CORE_GROUP, ROLE]);
    });

    for (const schema of resourcesOf(list)) {
      const id = String(schema['id']);
      describe(`schema ${id}`, () => {
        it('has the Schema representation with its location', () => {
          expect(schema['schemas']).to.deep.equal([SCHEMA_SCHEMA_URN]);
          expect(schema['name']).to.be.a('string').and.not.be.empty;
          expect(schema['description']).to.be.a('string').and.not.be.empty;
          expect(schema['meta']).to.deep.equal({ resourceType: 'Schema', location: `${BASE}/Schemas/${id}` });
        });

        for (const [name, attribute] of allAttributes(schema['attributes'] as ScimObject[])) {
          it(`lists every characteristic of ${name}`, () => {
            expect(attribute).to.include.all.keys(...CHARACTERISTICS);
            expect(attribute['description']).to.be.a('string').and.not.be.empty;
            if (attribute['type'] === 'complex') expect(attribute['subAttributes']).to.be.an('array').and.not.be.empty;
            else expect(attribute).to.not.have.property('subAttributes');
            if (attribute['type'] === 'reference') expect(attribute['referenceTypes']).to.be.an('array').and.not.be.empty;
            else expect(attribute).to.not.have.property('referenceTypes');
          });
        }
      });
    }

    it('does not list the common attributes in the User schema', () => {
      const names = (resourcesOf(list)[0]?.['attributes'] as ScimObject[]).map((attribute) => attribute['name']);
      expect(names).to.include.members(['userName', 'name', 'emails', 'groups', 'x509Certificates']);
      expect(names).to.not.include.members(['id', 'externalId', 'meta']);
    });

    it('describes key characteristics as RFC 7643 and this server define them', () => {
      const user = schemaResponse(CORE_USER, BASE);
      const byName = new Map(allAttributes(user['attributes'] as ScimObject[]));
      expect(byName.get('userName')).to.include({ required: true, uniqueness: 'server', caseExact: false });
      expect(byName.get('password')).to.include({ mutability: 'writeOnly', returned: 'never' });
      expect(byName.get('groups')).to.include({ mutability: 'readOnly', multiValued: true });
      expect(byName.get('emails.type')?.['canonicalValues']).to.deep.equal(['work', 'home', 'other']);
      expect(byName.get('x509Certificates.value')).to.include({ type: 'binary' });
      const group = new Map(allAttributes(schemaResponse(GROUP_SCHEMA_URN, BASE)['attributes'] as ScimObject[]));
      expect(group.get('displayName')).to.include({ required: true, uniqueness: 'server' });
      expect(group.get('members.value')).to.include({ mutability: 'immutable' });
      expect(group.get('members.type')?.['canonicalValues']).to.deep.equal(['User', 'Group']);
      const role = allAttributes(schemaResponse(ROLE, BASE)['attributes'] as ScimObject[]);
      expect(role.map(([, attribute]) => attribute['mutability'])).to.deep.equal(Array(4).fill('readOnly'));
    });
  });

  describe('GET /Schemas/{id}', () => {
    it('finds a schema by its URN, in any case', () => {
      expect(schemaResponse(ENTERPRISE.toLowerCase(), BASE)['id']).to.equal(ENTERPRISE);
    });

    it('throws a 404 ScimError for an unknown schema', () => {
      expect(() => schemaResponse('urn:example:nope', BASE)).to.throw(ScimError).with.property('status', 404);
    });

    it('ignores a trailing slash in the base URL', () => {
      expect(schemaResponse(CORE_USER, `${BASE}/`)['meta']).to.have.property('location', `${BASE}/Schemas/${CORE_USER}`);
    });
  });

  describe('GET /ResourceTypes', () => {
    const list = resourceTypesListResponse(BASE);

    it('is a ListResponse of User and Group', () => {
      expect(list['schemas']).to.deep.equal([LIST_RESPONSE_URN]);
      expect(list['totalResults']).to.equal(2);
      expect(resourcesOf(list).map((type) => type['id'])).to.deep.equal(['User', 'Group']);
    });

    it('describes User with the optional enterprise extension', () => {
      expect(resourcesOf(list)[0]).to.deep.equal({
        schemas: [RESOURCE_TYPE_SCHEMA_URN],
        id: 'User',
        name: 'User',
        endpoint: '/Users',
        description: 'User account',
        schema: CORE_USER,
        schemaExtensions: [{ schema: ENTERPRISE, required: false }],
        meta: { resourceType: 'ResourceType', location: `${BASE}/ResourceTypes/User` },
      });
    });

    it('describes Group with the optional role extension', () => {
      const group = resourcesOf(list)[1];
      expect(group).to.include({ id: 'Group', endpoint: '/Groups', schema: CORE_GROUP });
      expect(group?.['schemaExtensions']).to.deep.equal([{ schema: ROLE, required: false }]);
      expect(group?.['meta']).to.deep.equal({ resourceType: 'ResourceType', location: `${BASE}/ResourceTypes/Group` });
    });
  });

  describe('GET /ResourceTypes/{id}', () => {
    it('finds a resource type by id, in any case', () => {
      expect(resourceTypeResponse('group', BASE)['id']).to.equal('Group');
    });

    it('throws a 404 ScimError for an unknown resource type', () => {
      expect(() => resourceTypeResponse('Device', BASE)).to.throw(ScimError).with.property('status', 404);
    });
  });
});
