import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { RoleEntity } from '../../../src/db/entities';
import { transaction } from '../../../src/db/transaction';
import { DomainError } from '../../../src/errors';
import { applyRoleDefinition } from '../../../src/identity/role-definitions';
import { RoleDirectory } from '../../../src/identity/roles';
import { UserDirectory } from '../../../src/identity/users';
import { localOperatorContext, type ChangeContext } from '../../../src/identity/change-context';
import { testDatabases } from '../../support/databases';
import { rawRequest, rows } from '../../support/assertions';
import { TestServer, type ScimReply } from '../../support/test-server';

const OPERATOR = localOperatorContext('test');
const AUDITOR = '00000000-0000-4000-8000-000000000003';
const AUDITOR_PERMISSIONS = ['audit:read', 'groups:read', 'service-accounts:read', 'sync:read', 'users:read'];
const FULL_API_ACCESS = '00000000-0000-4000-8000-00000000000b';

/** A call to the admin API with a bearer token and, when given, a JSON body. */
function call(url: string, token: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<ScimReply> {
  return rawRequest(url, {
    method: init.method ?? 'GET',
    headers: {
      Authorization: `Bearer ${token}`, ...(init.body === undefined ? {} : { 'Content-Type': 'application/json' }), ...init.headers,
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
}

function expectProblem(reply: ScimReply, status: number, detail?: RegExp): void {
  const context = `${reply.status} ${reply.text.slice(0, 300)}`;
  expect(reply.status, context).to.equal(status);
  expect(reply.headers.get('content-type'), context).to.match(/^application\/problem\+json/);
  if (detail) expect(reply.body.detail, context).to.match(detail);
}

interface RoleBody {
  id: string; name: string; kind: string; source: string; permissions: string[]; version: number; memberCount: number;
  serviceAccountCount: number; risk: string; assignableTo: string; manages: string; managedRoles: { id: string; name: string }[];
}

const roleOf = (reply: ScimReply): RoleBody => reply.body as unknown as RoleBody;

for (const database of testDatabases()) {
  describe(`Admin API: custom roles on ${database.name}`, () => {
    let server: TestServer;
    let api: string;
    let full: string;
    let readOnly: string;
    let designer: string;
    let alice: string;
    let bob: string;

    const create = async (body: Record<string, unknown>, token = full): Promise<RoleBody> => {
      const reply = await call(`${api}/roles`, token, { method: 'POST', body });
      expect(reply.status, reply.text).to.equal(201);
      return roleOf(reply);
    };
    const audits = (targetId: string, action: string): Promise<Record<string, unknown>[]> =>
      rows(server, 'SELECT changes, actor_name, door FROM audit_events WHERE target_id = ? AND action = ? ORDER BY id', [targetId, action]);
    const stored = async (id: string): Promise<RoleEntity> => {
      const row = await server.running.dataSource.getRepository(RoleEntity).findOneBy({ id });
      if (!row) throw new Error(`no role ${id}`);
      return row;
    };

    before(async () => {
      server = await TestServer.start(await database.fresh());
      api = `${server.running.url}/admin/api`;
      full = await server.token('automation', ['Full API Access']);
      readOnly = await server.token('reporting', ['Read-only API Access']);
      const users = new UserDirectory(server.running.dataSource);
      alice = (await users.create(OPERATOR, { profile: { userName: 'alice@example.test' } })).id;
      bob = (await users.create(OPERATOR, { profile: { userName: 'bob@example.test' } })).id;
      await new RoleDirectory(server.running.dataSource).update(OPERATOR, AUDITOR, { memberChanges: [{ kind: 'add', ids: [alice, bob] }] });
      // A service account that defines roles and reads them, and holds nothing else.
      await create({ name: 'Role Designer', permissions: ['groups:read', 'roles:manage'], assignableTo: 'service' });
      designer = await server.token('designer', ['Role Designer']);
    });

    after(async () => {
      await server.stop();
    });

    it('lists every role by name with its holders counted, paged, to Read-only API Access', async () => {
      const reply = await call(`${api}/roles?pageSize=500`, readOnly);
      expect(reply.status, reply.text).to.equal(200);
      const items = reply.body.items as RoleBody[];
      expect(reply.body.total).to.equal(items.length).and.equal(13);
      expect(items.map((item) => item.name.toLowerCase())).to.deep.equal(items.map((item) => item.name.toLowerCase()).sort());
      expect(items.find((item) => item.id === AUDITOR)).to.deep.include({
        name: 'Auditor', kind: 'system', source: 'local', memberCount: 2, serviceAccountCount: 0, permissions: AUDITOR_PERMISSIONS,
        manages: 'all', managedRoles: [],
      });
      expect(items.find((item) => item.id === FULL_API_ACCESS)).to.deep.include({ memberCount: 0, serviceAccountCount: 1, risk: 'high' });
      const page = await call(`${api}/roles?page=2&pageSize=5`, readOnly);
      expect((page.body.items as RoleBody[]).map((item) => item.id)).to.deep.equal(items.slice(5, 10).map((item) => item.id));
    });

    it('gets one role with its version as a weak ETag, and 404 for an unknown id', async () => {
      const reply = await call(`${api}/roles/${AUDITOR}`, readOnly);
      expect(reply.status).to.equal(200);
      expect(reply.headers.get('etag')).to.equal(`W/"${roleOf(reply).version}"`);
      expectProblem(await call(`${api}/roles/${randomUUID()}`, readOnly), 404);
    });

    it('creates a custom role (201, Location), local, with its definition, and audits it', async () => {
      const reply = await call(`${api}/roles`, full, {
        method: 'POST',
        body: {
          name: 'Tour Guides', description: 'Shows visitors around', permissions: ['users:read', 'groups:read', 'users:read'],
          assignableTo: 'person', risk: 'high', managedRoles: [AUDITOR],
        },
      });
      expect(reply.status, reply.text).to.equal(201);
      const role = roleOf(reply);
      expect(reply.headers.get('location')).to.equal(`/admin/api/roles/${role.id}`);
      expect(reply.headers.get('etag')).to.equal('W/"1"');
      expect(role).to.deep.include({
        name: 'Tour Guides', kind: 'custom', source: 'local', permissions: ['groups:read', 'users:read'], risk: 'high',
        assignableTo: 'person', manages: 'selected', managedRoles: [{ id: AUDITOR, name: 'Auditor' }], memberCount: 0, version: 1,
      });
      const [audit] = await audits(role.id, 'role.create');
      expect(audit).to.include({ actor_name: 'automation', door: 'admin' });
      expect(JSON.stringify(audit?.changes)).to.contain('groups:read');
    });

    it('refuses to create a role without roles:manage (403), with an unknown permission or field (400), or a taken name (409)', async () => {
      const before = await server.count('roles');
      expectProblem(await call(`${api}/roles`, readOnly, { method: 'POST', body: { name: 'Nope' } }), 403, /roles:manage/);
      expectProblem(await call(`${api}/roles`, full, { method: 'POST', body: { name: 'Nope', permissions: ['users:delete'] } }),
        400, /Unknown permission.*"users:delete"/);
      expectProblem(await call(`${api}/roles`, full, { method: 'POST', body: { name: 'Nope', permision: ['users:read'] } }),
        400, /Unknown field.*"permision"/);
      expectProblem(await call(`${api}/roles`, full, { method: 'POST', body: { name: 'Nope', risk: 'extreme' } }), 400, /risk must be one of/);
      expectProblem(await call(`${api}/roles`, full, { method: 'POST', body: { name: 'Nope', managedRoles: [randomUUID()] } }),
        400, /managedRoles names no role/);
      expectProblem(await call(`${api}/roles`, full, { method: 'POST', body: { name: 'AUDITOR' } }), 409, /Auditor/);
      expectProblem(await call(`${api}/roles`, full, { method: 'POST', body: { description: 'no name' } }), 400, /name is required/);
      expect(await server.count('roles')).to.equal(before);
    });

    it('refuses a role carrying a permission its creator does not hold, naming it (403), and one managing more than they do', async () => {
      const before = await server.count('roles');
      expectProblem(await call(`${api}/roles`, designer, { method: 'POST', body: { name: 'Snoop', permissions: ['groups:read', 'audit:read'] } }),
        403, /permissions they do not hold: audit:read$/);
      expectProblem(await call(`${api}/roles`, designer, { method: 'POST', body: { name: 'Boss', manages: 'all' } }), 403, /does not manage every role/);
      expect(await server.count('roles')).to.equal(before);
      const allowed = await create({ name: 'Readers', permissions: ['groups:read'] }, designer);
      expect(allowed.permissions).to.deep.equal(['groups:read']);
    });

    it('renames a custom role and changes its description at once (200), audited with the names before and after', async () => {
      const requests = await server.count('change_requests');
      const role = await create({ name: 'Cashiers' });
      const reply = await call(`${api}/roles/${role.id}`, full, { method: 'PATCH', body: { name: 'Tellers', description: 'Count money' } });
      expect(reply.status, reply.text).to.equal(200);
      expect(roleOf(reply)).to.deep.include({ name: 'Tellers', version: 2 });
      expect(reply.headers.get('etag')).to.equal('W/"2"');
      const [audit] = await audits(role.id, 'role.update');
      expect(JSON.parse(String(audit?.changes))).to.deep.include({
        attributes: [{ attribute: 'description', to: 'Count money' }, { attribute: 'displayName', from: 'Cashiers', to: 'Tellers' }],
      });
      expect(await server.count('change_requests')).to.equal(requests);
    });

    it('turns a change of what a role grants into a pending change request (202) and leaves the role as it was', async () => {
      const role = await create({ name: 'Clerks', permissions: ['users:read'] });
      const reply = await call(`${api}/roles/${role.id}`, full, { method: 'PATCH', body: { name: 'Head Clerks', permissions: ['users:read', 'users:write'] } });
      expect(reply.status, reply.text).to.equal(202);
      const request = reply.body.changeRequest as { id: string; kind: string; status: string; payload: Record<string, unknown> };
      expect(reply.headers.get('location')).to.equal(`/admin/api/change-requests/${request.id}`);
      expect(request).to.deep.include({ kind: 'role-definition', status: 'pending' });
      expect(request.payload).to.deep.equal({ roleId: role.id, changes: { name: 'Head Clerks', permissions: ['users:read', 'users:write'] }, version: 1 });
      const [row] = await rows(server, 'SELECT kind, status, target_id FROM change_requests WHERE id = ?', [request.id]);
      expect(row).to.deep.equal({ kind: 'role-definition', status: 'pending', target_id: role.id });
      const after = await stored(role.id);
      expect({ name: after.displayName, permissions: after.permissions, version: after.version })
        .to.deep.equal({ name: 'Clerks', permissions: '["users:read"]', version: 1 });
      // Asking again for the same change finds the request that waits.
      const again = await call(`${api}/roles/${role.id}`, full, { method: 'PATCH', body: { name: 'Head Clerks', permissions: ['users:read', 'users:write'] } });
      expect((again.body.changeRequest as { id: string }).id).to.equal(request.id);
    });

    it('applies an approved request in the approval\'s transaction: the permissions change, audited with the approval', async () => {
      const role = await create({ name: 'Porters', permissions: ['users:read'] });
      const reply = await call(`${api}/roles/${role.id}`, full, { method: 'PATCH', body: { permissions: ['users:read', 'sync:read'], risk: 'high' } });
      expect(reply.status, reply.text).to.equal(202);
      const request = reply.body.changeRequest as { id: string; payload: Record<string, unknown> };
      const result = await transaction(server.running.dataSource, (manager) => applyRoleDefinition(manager, approved(request.id), request.payload));
      expect(result).to.deep.equal({ roleId: role.id, version: 2, changed: ['permissions', 'risk'] });
      const after = await stored(role.id);
      expect({ permissions: after.permissions, risk: after.risk }).to.deep.equal({ permissions: '["sync:read","users:read"]', risk: 'high' });
      const [audit] = await audits(role.id, 'role.update');
      const changes = JSON.parse(String(audit?.changes)) as Record<string, unknown>;
      expect(changes.attributes).to.deep.include({ attribute: 'permissions', from: ['users:read'], to: ['sync:read', 'users:read'] });
      expect(changes.approval).to.deep.equal({ changeRequestId: request.id, approvedBy: { type: 'person', id: 'p-1', name: 'Vera Validator' } });
    });

    it('refuses to apply a request once the role changed meanwhile (409), and writes nothing', async () => {
      const role = await create({ name: 'Gardeners', permissions: ['users:read'] });
      const reply = await call(`${api}/roles/${role.id}`, full, { method: 'PATCH', body: { permissions: ['users:read', 'sync:read'] } });
      const request = reply.body.changeRequest as { id: string; payload: Record<string, unknown> };
      const renamed = await call(`${api}/roles/${role.id}`, full, { method: 'PATCH', body: { name: 'Groundskeepers' } });
      expect(renamed.status, renamed.text).to.equal(200);
      const error = await transaction(server.running.dataSource, (manager) => applyRoleDefinition(manager, approved(request.id), request.payload))
        .then(() => undefined, (e: unknown) => e);
      expect(error).to.be.instanceOf(DomainError);
      expect(error).to.include({ kind: 'conflict' });
      expect((error as Error).message).to.match(/changed since this change was asked for \(version 1, now 2\)/);
      expect((await stored(role.id)).permissions).to.equal('["users:read"]');
    });

    it('refuses with 412 a PATCH or DELETE whose If-Match names another version', async () => {
      const role = await create({ name: 'Cooks' });
      expectProblem(await call(`${api}/roles/${role.id}`, full, { method: 'PATCH', body: { name: 'Chefs' }, headers: { 'If-Match': 'W/"7"' } }), 412);
      expectProblem(await call(`${api}/roles/${role.id}`, full, { method: 'DELETE', headers: { 'If-Match': 'W/"7"' } }), 412);
      const ok = await call(`${api}/roles/${role.id}`, full, { method: 'PATCH', body: { name: 'Chefs' }, headers: { 'If-Match': 'W/"1"' } });
      expect(ok.status, ok.text).to.equal(200);
    });

    it('refuses to narrow who may hold a role while holders it would exclude hold it (409)', async () => {
      const requests = await server.count('change_requests');
      const role = await create({ name: 'Night Shift' });
      await new RoleDirectory(server.running.dataSource).update(OPERATOR, role.id, { memberChanges: [{ kind: 'add', ids: [alice] }] });
      expectProblem(await call(`${api}/roles/${role.id}`, full, { method: 'PATCH', body: { assignableTo: 'service' } }),
        409, /Users hold "Night Shift"/);
      const designerRole = (await call(`${api}/roles?pageSize=500`, full)).body.items as RoleBody[];
      const held = designerRole.find((item) => item.name === 'Role Designer');
      expectProblem(await call(`${api}/roles/${held?.id ?? ''}`, full, { method: 'PATCH', body: { assignableTo: 'person' } }),
        409, /Service accounts hold "Role Designer"/);
      expect(await server.count('change_requests')).to.equal(requests);
    });

    it('keeps system roles read-only (403, pointing at clone) and clones them: "Auditor Copy", then "Auditor Copy 2"', async () => {
      expectProblem(await call(`${api}/roles/${AUDITOR}`, full, { method: 'PATCH', body: { name: 'Watcher' } }), 403, /system role and read-only; clone it/);
      expectProblem(await call(`${api}/roles/${AUDITOR}`, full, { method: 'PATCH', body: { permissions: [] } }), 403, /system role/);
      expectProblem(await call(`${api}/roles/${AUDITOR}`, full, { method: 'DELETE' }), 403, /system role/);
      const first = await call(`${api}/roles/${AUDITOR}/clone`, full, { method: 'POST' });
      expect(first.status, first.text).to.equal(201);
      expect(roleOf(first)).to.deep.include({
        name: 'Auditor Copy', kind: 'custom', source: 'local', permissions: AUDITOR_PERMISSIONS, manages: 'all', assignableTo: 'person',
        memberCount: 0,
      });
      const second = await call(`${api}/roles/${AUDITOR}/clone`, full, { method: 'POST', body: {} });
      expect(roleOf(second).name).to.equal('Auditor Copy 2');
      const named = await call(`${api}/roles/${AUDITOR}/clone`, full, { method: 'POST', body: { name: 'Junior Auditor' } });
      expect(roleOf(named)).to.deep.include({ name: 'Junior Auditor', permissions: AUDITOR_PERMISSIONS });
      expect((await stored(AUDITOR)).version).to.equal(2);
    });

    it('refuses a clone carrying permissions the caller does not hold (403)', async () => {
      expectProblem(await call(`${api}/roles/${AUDITOR}/clone`, designer, { method: 'POST' }), 403, /audit:read/);
    });

    it('deletes a custom role (204), audited, and refuses a system role (403)', async () => {
      const role = await create({ name: 'Temporary' });
      const reply = await call(`${api}/roles/${role.id}`, full, { method: 'DELETE' });
      expect(reply.status, reply.text).to.equal(204);
      expectProblem(await call(`${api}/roles/${role.id}`, readOnly), 404);
      expect(await audits(role.id, 'role.delete')).to.have.length(1);
      expectProblem(await call(`${api}/roles/${role.id}`, readOnly, { method: 'DELETE' }), 403, /roles:manage/);
    });

    it('keeps a role made from an Active Directory group read-only (403), and lets it be cloned', async () => {
      const id = randomUUID();
      const now = new Date().toISOString();
      await server.running.dataSource.getRepository(RoleEntity).insert({
        id, displayName: 'AD Finance', displayNameKey: 'ad finance', description: 'Imported from Active Directory', kind: 'custom',
        assignableTo: 'any', risk: 'normal', permissions: '[]', manages: 'none', managedRoles: null, externalId: null,
        source: 'ad', sourceAnchor: randomUUID(), version: 1, createdAt: now, updatedAt: now,
      });
      expectProblem(await call(`${api}/roles/${id}`, full, { method: 'PATCH', body: { name: 'Finance' } }), 403, /Active Directory group and read-only/);
      expectProblem(await call(`${api}/roles/${id}`, full, { method: 'PATCH', body: { permissions: ['users:read'] } }), 403, /Active Directory/);
      expectProblem(await call(`${api}/roles/${id}`, full, { method: 'DELETE' }), 403, /Active Directory/);
      const copy = await call(`${api}/roles/${id}/clone`, full, { method: 'POST' });
      expect(roleOf(copy)).to.deep.include({ name: 'AD Finance Copy', source: 'local', kind: 'custom' });
      expect((await stored(id)).displayName).to.equal('AD Finance');
    });
  });

  describe(`Admin API: custom roles with APPROVAL_MODE none on ${database.name}`, () => {
    let server: TestServer;
    let api: string;
    let full: string;

    before(async () => {
      server = await TestServer.start(await database.fresh(), { governance: { approvalMode: 'none', approvalExpiryDays: 7 } });
      api = `${server.running.url}/admin/api`;
      full = await server.token('automation', ['Full API Access']);
    });

    after(async () => {
      await server.stop();
    });

    it('applies a change of permissions, risk and name at once (200), with no change request', async () => {
      const created = await call(`${api}/roles`, full, { method: 'POST', body: { name: 'Stewards', permissions: ['users:read'] } });
      const id = roleOf(created).id;
      const reply = await call(`${api}/roles/${id}`, full, {
        method: 'PATCH', body: { name: 'Chief Stewards', permissions: ['users:read', 'users:write'], risk: 'high', managedRoles: [AUDITOR] },
      });
      expect(reply.status, reply.text).to.equal(200);
      expect(roleOf(reply)).to.deep.include({
        name: 'Chief Stewards', permissions: ['users:read', 'users:write'], risk: 'high', manages: 'selected', version: 2,
        managedRoles: [{ id: AUDITOR, name: 'Auditor' }],
      });
      expect(await server.count('change_requests')).to.equal(0);
      const none = await call(`${api}/roles/${id}`, full, { method: 'PATCH', body: { manages: 'none' } });
      expect(roleOf(none)).to.deep.include({ manages: 'none', managedRoles: [], version: 3 });
    });
  });
}

/** The requester (a Full API Access service account) applying on a validator's approval. */
function approved(changeRequestId: string): ChangeContext {
  return {
    actor: { type: 'service-account', id: 'sa-1', name: 'automation', permissions: new Set(['*']), manages: 'all' },
    door: 'admin',
    approval: { changeRequestId, approvedBy: { type: 'person', id: 'p-1', name: 'Vera Validator' } },
  };
}
