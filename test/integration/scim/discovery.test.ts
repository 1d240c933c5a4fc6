import { expect } from 'chai';
import { expectScimError, rawRequest } from '../../support/assertions';
import { testDatabases } from '../../support/databases';
import {
  ENTERPRISE_SCHEMA, GROUP_SCHEMA, TestServer, USER_SCHEMA, type ScimClient, type ScimReply,
} from '../../support/test-server';

const LIST_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const SERVICE_PROVIDER_CONFIG = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
const RESOURCE_TYPE = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';
const SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';
const ROLE_EXTENSION = 'urn:scimd:params:scim:schemas:extension:role:2.0:Group';

const DISCOVERY_PATHS = ['/ServiceProviderConfig', '/ResourceTypes', '/ResourceTypes/User', '/ResourceTypes/Group', '/Schemas',
  `/Schemas/${USER_SCHEMA}`, `/Schemas/${ENTERPRISE_SCHEMA}`, `/Schemas/${GROUP_SCHEMA}`, `/Schemas/${ROLE_EXTENSION}`];

type Json = Record<string, unknown>;

function expectScimJson(reply: ScimReply, what: string): void {
  expect(reply.status, `${what}: ${reply.text.slice(0, 200)}`).to.equal(200);
  expect(reply.headers.get('content-type'), what).to.match(/^application\/scim\+json/);
}

function resources(reply: ScimReply): Json[] {
  return reply.body.Resources as Json[];
}

for (const database of testDatabases()) {
  describe(`SCIM discovery on ${database.name}`, () => {
    let server: TestServer;
    let scim: ScimClient;
    let token: string;

    before(async () => {
      server = await TestServer.start(await database.fresh());
      token = await server.token('discoverer', ['Read-only API Access']);
      scim = server.client(token);
    });

    after(async () => {
      await server.stop();
    });

    describe('/ServiceProviderConfig', () => {
      it('says what the server supports: PATCH, Bulk with its limits, filter, sort and ETags', async () => {
        const reply = await scim.get('/ServiceProviderConfig');
        expectScimJson(reply, '/ServiceProviderConfig');
        const config = reply.body;
        expect(config.schemas).to.deep.equal([SERVICE_PROVIDER_CONFIG]);
        expect(config.patch).to.deep.equal({ supported: true });
        expect(config.bulk).to.deep.equal({ supported: true, maxOperations: 1000, maxPayloadSize: 1048576 });
        const filter = config.filter as Json;
        expect(filter.supported).to.equal(true);
        expect(Number.isInteger(filter.maxResults), `maxResults ${String(filter.maxResults)}`).to.equal(true);
        expect(filter.maxResults).to.be.greaterThan(0);
        expect(config.sort).to.deep.equal({ supported: true });
        expect(config.etag).to.deep.equal({ supported: true });
        expect((config.changePassword as Json).supported).to.be.a('boolean');
      });

      it('names at least one authentication scheme, the bearer token', async () => {
        const reply = await scim.get('/ServiceProviderConfig');
        const schemes = reply.body.authenticationSchemes as Json[];
        expect(schemes).to.be.an('array').that.is.not.empty;
        for (const scheme of schemes) {
          for (const key of ['type', 'name', 'description']) {
            expect(scheme[key], key).to.be.a('string').and.not.equal('');
          }
        }
        expect(schemes.map((scheme) => scheme.type)).to.include('oauthbearertoken');
        expect(schemes.filter((scheme) => scheme.primary === true)).to.have.length(1);
      });

      it('gives its own location and resource type in meta', async () => {
        const reply = await scim.get('/ServiceProviderConfig');
        expect(reply.body.meta).to.deep.include({
          resourceType: 'ServiceProviderConfig', location: `${scim.baseUrl}/ServiceProviderConfig`,
        });
      });
    });

    describe('/ResourceTypes', () => {
      it('lists User and Group with their endpoints, schemas and schema extensions', async () => {
        const reply = await scim.get('/ResourceTypes');
        expectScimJson(reply, '/ResourceTypes');
        expect(reply.body.schemas).to.deep.equal([LIST_RESPONSE]);
        expect(reply.body.totalResults).to.equal(2);
        expect(reply.body.itemsPerPage).to.equal(2);
        expect(reply.body.startIndex).to.equal(1);
        const byId = new Map(resources(reply).map((type) => [type.id, type]));
        expect([...byId.keys()].sort()).to.deep.equal(['Group', 'User']);
        expect(byId.get('User')).to.deep.include({
          schemas: [RESOURCE_TYPE], id: 'User', name: 'User', endpoint: '/Users', schema: USER_SCHEMA,
          schemaExtensions: [{ schema: ENTERPRISE_SCHEMA, required: false }],
        });
        expect(byId.get('Group')).to.deep.include({
          schemas: [RESOURCE_TYPE], id: 'Group', name: 'Group', endpoint: '/Groups', schema: GROUP_SCHEMA,
          schemaExtensions: [{ schema: ROLE_EXTENSION, required: false }],
        });
        for (const [id, type] of byId) {
          expect(type.meta, String(id)).to.deep.equal({ resourceType: 'ResourceType', location: `${scim.baseUrl}/ResourceTypes/${String(id)}` });
        }
      });

      it('serves /ResourceTypes/User and /ResourceTypes/Group as listed, at their meta.location', async () => {
        const list = resources(await scim.get('/ResourceTypes'));
        for (const listed of list) {
          const reply = await scim.get(`/ResourceTypes/${String(listed.id)}`);
          expectScimJson(reply, String(listed.id));
          expect(reply.body).to.deep.equal(listed);
          const atLocation = await rawRequest((listed.meta as Json).location as string, {
            method: 'GET', headers: { Authorization: `Bearer ${token}` },
          });
          expect(atLocation.body).to.deep.equal(listed);
        }
      });

      it('answers an unknown resource type with 404 and a SCIM error body', async () => {
        for (const id of ['Nope', 'Users', 'ServiceProviderConfig']) {
          expect(expectScimError(await scim.get(`/ResourceTypes/${id}`), 404)).to.include(id);
        }
      });
    });

    describe('/Schemas', () => {
      it('lists the four schemas: User, Enterprise User, Group and the scimd role extension', async () => {
        const reply = await scim.get('/Schemas');
        expectScimJson(reply, '/Schemas');
        expect(reply.body.schemas).to.deep.equal([LIST_RESPONSE]);
        expect(reply.body.totalResults).to.equal(4);
        expect(reply.body.itemsPerPage).to.equal(4);
        expect(resources(reply).map((schema) => schema.id).sort())
          .to.deep.equal([ENTERPRISE_SCHEMA, GROUP_SCHEMA, USER_SCHEMA, ROLE_EXTENSION].sort());
        for (const schema of resources(reply)) {
          const id = String(schema.id);
          expect(schema.schemas, id).to.deep.equal([SCHEMA]);
          expect(schema.name, id).to.be.a('string').and.not.equal('');
          expect(schema.attributes, id).to.be.an('array').that.is.not.empty;
          expect(schema.meta, id).to.deep.equal({ resourceType: 'Schema', location: `${scim.baseUrl}/Schemas/${id}` });
        }
      });

      it('describes every attribute with all its characteristics', async () => {
        const reply = await scim.get('/Schemas');
        const check = (attribute: Json, where: string): void => {
          expect(attribute.name, where).to.be.a('string');
          const name = `${where}.${String(attribute.name)}`;
          expect(attribute.type, name).to.be.oneOf(['string', 'boolean', 'decimal', 'integer', 'dateTime', 'binary', 'reference', 'complex']);
          for (const flag of ['multiValued', 'required', 'caseExact']) expect(attribute[flag], `${name} ${flag}`).to.be.a('boolean');
          expect(attribute.mutability, name).to.be.oneOf(['readOnly', 'readWrite', 'immutable', 'writeOnly']);
          expect(attribute.returned, name).to.be.oneOf(['always', 'never', 'default', 'request']);
          expect(attribute.uniqueness, name).to.be.oneOf(['none', 'server', 'global']);
          if (attribute.type === 'complex') {
            expect(attribute.subAttributes, name).to.be.an('array').that.is.not.empty;
            for (const sub of attribute.subAttributes as Json[]) check(sub, name);
          } else {
            expect(attribute, name).to.not.have.property('subAttributes');
          }
          if (attribute.type === 'reference') expect(attribute.referenceTypes, name).to.be.an('array');
        };
        for (const schema of resources(reply)) {
          for (const attribute of schema.attributes as Json[]) check(attribute, String(schema.id));
        }
      });

      it('says what this server requires and forbids: userName and displayName required and unique, the role extension readOnly', async () => {
        const attribute = async (urn: string, name: string): Promise<Json | undefined> => {
          const reply = await scim.get(`/Schemas/${urn}`);
          return (reply.body.attributes as Json[]).find((candidate) => candidate.name === name);
        };
        expect(await attribute(USER_SCHEMA, 'userName')).to.deep.include({ required: true, uniqueness: 'server', caseExact: false });
        expect(await attribute(USER_SCHEMA, 'password')).to.deep.include({ mutability: 'writeOnly', returned: 'never' });
        expect(await attribute(USER_SCHEMA, 'groups')).to.deep.include({ mutability: 'readOnly', multiValued: true });
        expect(await attribute(GROUP_SCHEMA, 'displayName')).to.deep.include({ required: true, uniqueness: 'server' });
        const role = await scim.get(`/Schemas/${ROLE_EXTENSION}`);
        expect((role.body.attributes as Json[]).map((a) => a.name)).to.deep.equal(['kind', 'assignableTo', 'risk', 'permissions']);
        for (const item of role.body.attributes as Json[]) expect(item.mutability, String(item.name)).to.equal('readOnly');
      });

      it('serves each schema at /Schemas/{urn}, as listed, matching the URN in any case', async () => {
        const list = resources(await scim.get('/Schemas'));
        for (const listed of list) {
          const urn = String(listed.id);
          const reply = await scim.get(`/Schemas/${urn}`);
          expectScimJson(reply, urn);
          expect(reply.body).to.deep.equal(listed);
          const upper = await scim.get(`/Schemas/${urn.toUpperCase()}`);
          expect(upper.status, urn.toUpperCase()).to.equal(200);
          expect(upper.body.id).to.equal(urn);
        }
      });

      it('serves every schema that a resource type names', async () => {
        for (const type of resources(await scim.get('/ResourceTypes'))) {
          const urns = [type.schema as string, ...(type.schemaExtensions as Json[]).map((extension) => extension.schema as string)];
          for (const urn of urns) {
            const reply = await scim.get(`/Schemas/${urn}`);
            expect(reply.status, `${String(type.id)} names ${urn}`).to.equal(200);
          }
        }
      });

      it('answers an unknown schema id with 404 and a SCIM error body', async () => {
        for (const id of ['urn:ietf:params:scim:schemas:core:2.0:Nope', 'urn:example:params:scim:schemas:extension:acme:2.0:User', 'User']) {
          expect(expectScimError(await scim.get(`/Schemas/${id}`), 404), id).to.include(id);
        }
      });
    });

    describe('authentication', () => {
      it('answers every discovery endpoint without a token with 401 and a Bearer challenge', async () => {
        const anonymous = server.client(undefined);
        for (const path of DISCOVERY_PATHS) {
          const reply = await anonymous.get(path);
          expectScimError(reply, 401);
          expect(reply.headers.get('www-authenticate'), path).to.match(/^Bearer\b/);
        }
      });

      it('answers every discovery endpoint with an unknown token with 401', async () => {
        const stranger = server.client(`scimd_0123456789abcdef_${'A'.repeat(43)}`);
        for (const path of DISCOVERY_PATHS) expectScimError(await stranger.get(path), 401);
      });

      it('answers every discovery endpoint with a valid token as application/scim+json', async () => {
        for (const path of DISCOVERY_PATHS) {
          const reply = await scim.get(path);
          expectScimJson(reply, path);
          expect(reply.headers.get('x-request-id'), path).to.be.a('string');
        }
      });
    });
  });
}

