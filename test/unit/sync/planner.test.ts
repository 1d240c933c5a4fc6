import { expect } from 'chai';
import type { UserProfile } from '../../../src/identity/user-profile';
import { loadMapping } from '../../../sync/mapping';
import { roleNameKey } from '../../../src/identity/role-name';
import { countPlan, planRoles, planRolesInSteps, planSync, type PlannedSync, type PlannedUserEntry } from '../../../sync/planner';
import type { DirectoryRead, GroupRule, PlanOptions, StoreView, SyncMapping, SyncPlan } from '../../../sync/types';
import {
  adGroup, adUser, BASE, deepFreeze, DEFAULT_MAPPING, deltaRead, filetime, fullRead, guid, NOW, OPTIONS, scimUser,
  storedFrom, storeView, userDn,
} from './helpers';

const plan = (read: DirectoryRead, store: StoreView = storeView(), options: Partial<PlanOptions> = {}, mapping: SyncMapping = DEFAULT_MAPPING): PlannedSync =>
  planSync(read, store, mapping, { ...OPTIONS, ...options }, NOW);

const withRules = (...groups: GroupRule[]): SyncMapping => ({ ...DEFAULT_MAPPING, groups });

function only(result: SyncPlan): PlannedUserEntry {
  expect(result.users).to.have.length(1);
  return result.users[0] as PlannedUserEntry;
}

function entryFor(result: SyncPlan, anchor: string): PlannedUserEntry {
  const entry = result.users.find((candidate) => candidate.anchor === anchor);
  if (!entry) throw new Error(`no entry for ${anchor}`);
  return entry;
}

const actions = (result: SyncPlan): Record<string, string> =>
  Object.fromEntries(result.users.map((entry) => [entry.anchor, entry.action]));

const groupDn = (name: string, ou = 'OU=Groups'): string => `CN=${name},${ou},${BASE}`;
const byDn = (name: string, role: string): GroupRule => ({ group: { dn: groupDn(name) }, role });

const yesterday = filetime(new Date(NOW.getTime() - 86_400_000));

describe('sync planner: directory users', () => {
  it('creates a user the store does not have, with its whole mapped profile', () => {
    const user = adUser(1);
    const entry = only(plan(fullRead([user])));
    expect(entry).to.deep.include({ action: 'create', anchor: guid(1), dn: userDn(1), userId: null });
    expect(entry.profile).to.deep.equal({
      userName: 'u1@corp.example', externalId: guid(1), name: { givenName: 'Given1', familyName: 'Family1' },
      displayName: 'Given1 Family1', emails: [{ type: 'work', primary: true, value: 'u1@corp.example' }], active: true,
    });
    expect(entry.changes.map((change) => change.attribute)).to.deep.equal([
      'userName', 'displayName', 'emails', 'externalId', 'name.familyName', 'name.givenName', 'active',
    ]);
    expect(entry.reason).to.equal(undefined);
  });

  it('creates a user disabled in AD as inactive, saying why', () => {
    const entry = only(plan(fullRead([adUser(1, { useraccountcontrol: '514' })])));
    expect(entry.action).to.equal('create');
    expect(entry.profile?.['active']).to.equal(false);
    expect(entry.reason).to.equal('disabled in Active Directory');
  });

  it('leaves a user unchanged when the mapped profile equals the stored one', () => {
    const user = adUser(1);
    const entry = only(plan(fullRead([user]), storeView({ users: [storedFrom(user)] })));
    expect(entry).to.deep.equal({ action: 'unchanged', anchor: guid(1), dn: userDn(1), userId: 'id-0001', changes: [] });
  });

  it('leaves a user unchanged when the stored profile only differs in key order', () => {
    const user = adUser(1);
    const stored = storedFrom(user);
    // userName again keeps its (now last) place: the copy is a whole profile, in reverse key order.
    const reordered: UserProfile = { ...Object.fromEntries(Object.entries(stored.profile).reverse()), userName: stored.profile.userName };
    reordered.emails = [{ value: 'u1@corp.example', primary: true, type: 'work' }];
    reordered.name = { familyName: 'Family1', givenName: 'Given1' };
    expect(only(plan(fullRead([user]), storeView({ users: [{ ...stored, profile: reordered }] }))).action).to.equal('unchanged');
  });

  it('leaves a user unchanged whose stored profile has no active key (absent means active)', () => {
    const user = adUser(1);
    const stored = storedFrom(user);
    const { active: _active, ...withoutActive } = stored.profile;
    expect(only(plan(fullRead([user]), storeView({ users: [{ ...stored, profile: withoutActive }] }))).action).to.equal('unchanged');
  });

  const updates: ReadonlyArray<readonly [string, Record<string, string | undefined>, unknown[]]> = [
    ['a new title', { title: 'Engineer' }, [{ attribute: 'title', to: 'Engineer' }]],
    ['a new family name', { sn: 'Married' }, [{ attribute: 'name.familyName', from: 'Family1', to: 'Married' }]],
    ['a cleared mail', { mail: undefined }, [{ attribute: 'emails', from: [{ type: 'work', primary: true, value: 'u1@corp.example' }] }]],
    ['a new UPN', { userprincipalname: 'ann@corp.example' }, [{ attribute: 'userName', from: 'u1@corp.example', to: 'ann@corp.example' }]],
    ['a department', { department: 'Sales' }, [{ attribute: 'enterprise.department', to: 'Sales' }]],
  ];
  for (const [title, attributes, changes] of updates) {
    it(`updates a user for ${title}, listing the change with from and to`, () => {
      const stored = storedFrom(adUser(1));
      const entry = only(plan(fullRead([adUser(1, attributes)]), storeView({ users: [stored] })));
      expect(entry.action).to.equal('update');
      expect(entry.userId).to.equal('id-0001');
      expect(entry.changes).to.deep.equal(changes);
      expect(entry.profile?.['active']).to.equal(true);
    });
  }

  it('updates a user that moved in AD, listing the DN change', () => {
    const stored = storedFrom(adUser(1));
    const moved = adUser(1, {}, { dn: userDn(1, 'OU=Sales') });
    const entry = only(plan(fullRead([moved]), storeView({ users: [stored] })));
    expect(entry.action).to.equal('update');
    expect(entry.dn).to.equal(userDn(1, 'OU=Sales'));
    expect(entry.changes).to.deep.equal([{ attribute: 'dn', from: userDn(1), to: userDn(1, 'OU=Sales') }]);
  });

  it('does not count a DN that only differs in case or spacing as a move', () => {
    const stored = storedFrom(adUser(1));
    const same = adUser(1, {}, { dn: userDn(1).toUpperCase().replace(/,/g, ', ') });
    expect(only(plan(fullRead([same]), storeView({ users: [stored] }))).action).to.equal('unchanged');
  });

  const deactivations: ReadonlyArray<readonly [string, Record<string, string>, string]> = [
    ['disabled (514)', { useraccountcontrol: '514' }, 'disabled in Active Directory'],
    ['disabled (66050)', { useraccountcontrol: '66050' }, 'disabled in Active Directory'],
    ['expired yesterday', { accountexpires: yesterday }, 'account expired'],
  ];
  for (const [title, attributes, reason] of deactivations) {
    it(`deactivates an active user ${title} in AD, with reason "${reason}"`, () => {
      const stored = storedFrom(adUser(1));
      const entry = only(plan(fullRead([adUser(1, attributes)]), storeView({ users: [stored] })));
      expect(entry.action).to.equal('deactivate');
      expect(entry.reason).to.equal(reason);
      expect(entry.changes).to.deep.equal([{ attribute: 'active', from: true, to: false }]);
      expect(entry.profile?.['active']).to.equal(false);
    });
  }

  it('carries other attribute changes along with a deactivation', () => {
    const stored = storedFrom(adUser(1));
    const entry = only(plan(fullRead([adUser(1, { useraccountcontrol: '514', title: 'Former' })]), storeView({ users: [stored] })));
    expect(entry.action).to.equal('deactivate');
    expect(entry.changes).to.deep.equal([{ attribute: 'title', to: 'Former' }, { attribute: 'active', from: true, to: false }]);
  });

  it('leaves a user unchanged that is still disabled (no second deactivation)', () => {
    const disabled = adUser(1, { useraccountcontrol: '514' });
    const stored = storedFrom(disabled);
    expect(stored.active).to.equal(false);
    expect(only(plan(fullRead([disabled]), storeView({ users: [stored] }))).action).to.equal('unchanged');
  });

  it('updates, not deactivates, a still-disabled user whose attributes changed', () => {
    const stored = storedFrom(adUser(1, { useraccountcontrol: '514' }));
    const entry = only(plan(fullRead([adUser(1, { useraccountcontrol: '514', title: 'New' })]), storeView({ users: [stored] })));
    expect(entry.action).to.equal('update');
    expect(entry.changes).to.deep.equal([{ attribute: 'title', to: 'New' }]);
  });

  const reactivations: ReadonlyArray<readonly [string, Record<string, string>]> = [
    ['re-enabled', { useraccountcontrol: '512' }],
    ['with its expiry extended', { accountexpires: filetime(new Date(NOW.getTime() + 86_400_000)) }],
    ['with its expiry cleared', { accountexpires: '0' }],
  ];
  for (const [title, attributes] of reactivations) {
    it(`reactivates an inactive user ${title} in AD`, () => {
      const stored = storedFrom(adUser(1, { useraccountcontrol: '514' }));
      const entry = only(plan(fullRead([adUser(1, attributes)]), storeView({ users: [stored] })));
      expect(entry.action).to.equal('reactivate');
      expect(entry.changes).to.deep.include({ attribute: 'active', from: false, to: true });
      expect(entry.profile?.['active']).to.equal(true);
    });
  }

  it('reactivates a user deactivated for leaving the scope that came back', () => {
    const user = adUser(1);
    const stored = storedFrom(user, { active: false });
    expect(only(plan(fullRead([user]), storeView({ users: [stored] }))).action).to.equal('reactivate');
  });

  it('skips a user without the userName attribute, with the mapping error as reason', () => {
    const entry = only(plan(fullRead([adUser(1, { userprincipalname: undefined })])));
    expect(entry).to.deep.equal({
      action: 'skip', anchor: guid(1), dn: userDn(1), userId: null, changes: [],
      reason: 'missing userprincipalname, which userName is mapped from',
    });
  });

  it('skips a stored user that no longer maps, naming its id, and neither deactivates nor changes it', () => {
    const stored = storedFrom(adUser(1));
    const entry = only(plan(fullRead([adUser(1, { userprincipalname: undefined })]), storeView({ users: [stored] })));
    expect(entry).to.deep.include({ action: 'skip', userId: 'id-0001' });
  });

  it('uses a custom mapping', () => {
    const mapping = loadMapping(JSON.stringify({ attributes: { userName: 'sAMAccountName', title: null }, groups: [] }));
    const entry = only(plan(fullRead([adUser(1, { title: 'Ignored' })]), storeView(), {}, mapping));
    expect(entry.profile?.['userName']).to.equal('u1');
    expect(entry.profile).not.to.have.property('title');
  });

  it('matches anchors case-insensitively', () => {
    const user = adUser(1);
    const stored = storedFrom(user, { anchor: guid(1).toUpperCase() });
    expect(only(plan(fullRead([user]), storeView({ users: [stored] }))).action).to.equal('unchanged');
  });

  it('plans a user read twice only once', () => {
    expect(plan(fullRead([adUser(1), adUser(1)])).users).to.have.length(1);
  });

  it('does not change its inputs', () => {
    const users = [adUser(1, { title: 'T' }), adUser(2, { useraccountcontrol: '514' }), adUser(3, { manager: userDn(1) })];
    const read = deepFreeze(fullRead(users, [adGroup('G', [userDn(1), userDn(2)])]));
    const store = storeView({ users: [deepFreeze(storedFrom(adUser(1))), deepFreeze(storedFrom(adUser(4)))], roleMembers: { R: [guid(4)] } });
    const mapping = deepFreeze(withRules({ group: { dn: `CN=G,OU=Groups,${BASE}` }, role: 'R' }));
    expect(() => plan(read, store, {}, mapping)).not.to.throw();
  });
});

describe('sync planner: users that leave the scope', () => {
  it('deactivates, in a full run, an AD user the directory no longer returns', () => {
    const gone = storedFrom(adUser(2));
    const result = plan(fullRead([adUser(1)]), storeView({ users: [storedFrom(adUser(1)), gone] }));
    expect(entryFor(result, guid(2))).to.deep.equal({
      action: 'deactivate', anchor: guid(2), dn: userDn(2), userId: 'id-0002',
      changes: [{ attribute: 'active', from: true, to: false }], reason: 'left the sync scope',
    });
  });

  it('leaves an already-inactive user that left the scope unchanged, so it is not counted twice', () => {
    const gone = storedFrom(adUser(2), { active: false });
    const entry = only(plan(fullRead([]), storeView({ users: [gone] })));
    expect(entry.action).to.equal('unchanged');
    expect(entry.reason).to.equal('left the sync scope (already inactive)');
  });

  it('deletes instead when the delete policy says so, even an inactive user', () => {
    const result = plan(fullRead([]), storeView({ users: [storedFrom(adUser(1)), storedFrom(adUser(2), { active: false })] }), { deletePolicy: 'delete' });
    expect(actions(result)).to.deep.equal({ [guid(1)]: 'delete', [guid(2)]: 'delete' });
    expect(entryFor(result, guid(1))).to.deep.include({ reason: 'left the sync scope', changes: [] });
  });

  it('never plans anything for store users that are not AD-sourced', () => {
    const scim = { ...storedFrom(adUser(5)), source: 'scim' };
    const noAnchor = { ...storedFrom(adUser(6)), anchor: null };
    expect(plan(fullRead([]), storeView({ users: [scim, noAnchor] })).users).to.deep.equal([]);
  });

  it('deactivates, in a delta run, a user with a tombstone: "deleted in Active Directory"', () => {
    const stored = storedFrom(adUser(1));
    const entry = only(plan(deltaRead({ tombstones: [{ anchor: guid(1), kind: 'user', usnChanged: 900 }] }), storeView({ users: [stored] })));
    expect(entry).to.deep.include({ action: 'deactivate', reason: 'deleted in Active Directory', userId: 'id-0001', dn: userDn(1) });
  });

  it('deletes a tombstoned user under the delete policy', () => {
    const stored = storedFrom(adUser(1));
    const entry = only(plan(deltaRead({ tombstones: [{ anchor: guid(1), kind: 'user', usnChanged: 900 }] }), storeView({ users: [stored] }), { deletePolicy: 'delete' }));
    expect(entry).to.deep.include({ action: 'delete', reason: 'deleted in Active Directory' });
  });

  it('ignores group tombstones and tombstones of users the store does not have', () => {
    const read = deltaRead({ tombstones: [{ anchor: guid(1), kind: 'group', usnChanged: 1 }, { anchor: guid(9), kind: 'user', usnChanged: 2 }] });
    expect(plan(read, storeView({ users: [storedFrom(adUser(1))] })).users).to.deep.equal([]);
  });

  it('deactivates, in a delta run, a user that moved out of scope, with the DN it moved to', () => {
    const stored = storedFrom(adUser(1));
    const elsewhere = `CN=User 1,OU=Contractors,${BASE}`;
    const entry = only(plan(deltaRead({ outOfScope: [{ anchor: guid(1), dn: elsewhere }] }), storeView({ users: [stored] })));
    expect(entry).to.deep.include({ action: 'deactivate', reason: 'left the sync scope', dn: elsewhere });
  });

  it('plans one entry for a user both tombstoned and out of scope: the deletion', () => {
    const read = deltaRead({ tombstones: [{ anchor: guid(1), kind: 'user', usnChanged: 9 }], outOfScope: [{ anchor: guid(1), dn: 'CN=x,DC=y' }] });
    expect(only(plan(read, storeView({ users: [storedFrom(adUser(1))] })))).to.deep.include({ reason: 'deleted in Active Directory' });
  });

  it('trusts the users the read returns over a leaving notice for the same anchor', () => {
    const read = deltaRead({ users: [adUser(1)], outOfScope: [{ anchor: guid(1), dn: userDn(1) }] });
    expect(only(plan(read, storeView({ users: [storedFrom(adUser(1))] }))).action).to.equal('unchanged');
  });

  it('plans nothing in a delta run for store users the read does not name', () => {
    const store = storeView({ users: [storedFrom(adUser(1)), storedFrom(adUser(2))] });
    expect(plan(deltaRead({ users: [adUser(3)] }), store).users.map((entry) => entry.action)).to.deep.equal(['create']);
  });

  it('leaves an inactive out-of-scope user unchanged in a delta run', () => {
    const stored = storedFrom(adUser(1), { active: false });
    expect(only(plan(deltaRead({ outOfScope: [{ anchor: guid(1), dn: userDn(1) }] }), storeView({ users: [stored] }))).action).to.equal('unchanged');
  });
});

describe('sync planner: soft-match by userName', () => {
  it('adopts a SCIM user with the same userName when soft-match is on', () => {
    const candidate = scimUser('u1@corp.example');
    const entry = only(plan(fullRead([adUser(1)]), storeView({ candidates: [candidate] }), { softMatchByUserName: true }));
    expect(entry).to.deep.include({ action: 'update', userId: 'scim-u1@corp.example', reason: 'soft-matched by userName', anchor: guid(1) });
    expect(entry.profile?.['externalId']).to.equal(guid(1));
    expect(entry.changes).to.deep.include({ attribute: 'title', from: 'From SCIM' });
  });

  it('matches userName case-insensitively', () => {
    const candidate = scimUser('U1@CORP.EXAMPLE');
    expect(only(plan(fullRead([adUser(1)]), storeView({ candidates: [candidate] }), { softMatchByUserName: true })).userId).to.equal(candidate.id);
  });

  it('records the soft-match even when nothing else differs', () => {
    const user = adUser(1);
    const twin = { ...storedFrom(user), id: 'scim-1', source: 'scim', anchor: null, dn: null };
    const entry = only(plan(fullRead([user]), storeView({ candidates: [twin] }), { softMatchByUserName: true }));
    expect(entry.action).to.equal('update');
    expect(entry.reason).to.equal('soft-matched by userName');
  });

  it('soft-matches a user disabled in AD and carries active false', () => {
    const entry = only(plan(fullRead([adUser(1, { useraccountcontrol: '514' })]), storeView({ candidates: [scimUser('u1@corp.example')] }), { softMatchByUserName: true }));
    expect(entry.action).to.equal('update');
    expect(entry.profile?.['active']).to.equal(false);
  });

  it('does not adopt when soft-match is off: the directory user is skipped, the name being taken', () => {
    const entry = only(plan(fullRead([adUser(1)]), storeView({ candidates: [scimUser('u1@corp.example')] })));
    expect(entry.action).to.equal('skip');
    expect(entry.userId).to.equal(null);
    expect(entry.reason).to.match(/userName "u1@corp\.example" is already held by user scim-u1@corp\.example, which is not managed by Active Directory \(soft-match by userName is off\)/);
  });

  it('prefers the anchor match over a soft-match', () => {
    const user = adUser(1);
    const result = plan(fullRead([user]), storeView({ users: [storedFrom(user)], candidates: [scimUser('u1@corp.example')] }), { softMatchByUserName: true });
    expect(only(result)).to.deep.include({ action: 'unchanged', userId: 'id-0001' });
  });

  it('ignores candidates that carry an anchor or are AD-sourced', () => {
    const anchored = { ...scimUser('u1@corp.example'), anchor: guid(77) };
    const adSourced = { ...scimUser('u2@corp.example'), source: 'ad' };
    const result = plan(fullRead([adUser(1), adUser(2)]), storeView({ candidates: [anchored, adSourced] }), { softMatchByUserName: true });
    expect(actions(result)).to.deep.equal({ [guid(1)]: 'create', [guid(2)]: 'create' });
  });

  it('never plans anything for an unmatched candidate', () => {
    expect(plan(fullRead([]), storeView({ candidates: [scimUser('x@corp.example')] }), { softMatchByUserName: true }).users).to.deep.equal([]);
  });

  it('lets one candidate be adopted by one directory user only', () => {
    const a = adUser(1, { userprincipalname: 'same@corp.example' });
    const b = adUser(2, { userprincipalname: 'SAME@corp.example' });
    const result = plan(fullRead([a, b]), storeView({ candidates: [scimUser('same@corp.example')] }), { softMatchByUserName: true });
    expect(actions(result)).to.deep.equal({ [guid(1)]: 'update', [guid(2)]: 'skip' });
  });
});

describe('sync planner: userName stays unique', () => {
  it('skips a new user whose UPN is still held by a deactivated AD user (re-created account)', () => {
    const old = storedFrom(adUser(1));
    const recreated = adUser(2, { userprincipalname: 'u1@corp.example' });
    const result = plan(fullRead([recreated]), storeView({ users: [old] }));
    expect(actions(result)).to.deep.equal({ [guid(2)]: 'skip', [guid(1)]: 'deactivate' });
    expect(entryFor(result, guid(2)).reason).to.match(/userName "u1@corp\.example" is already held by the Active Directory user/);
  });

  it('lets a re-created account take the name when the old one is deleted in the same run', () => {
    const old = storedFrom(adUser(1));
    const recreated = adUser(2, { userprincipalname: 'u1@corp.example' });
    const result = plan(fullRead([recreated]), storeView({ users: [old] }), { deletePolicy: 'delete' });
    expect(actions(result)).to.deep.equal({ [guid(2)]: 'create', [guid(1)]: 'delete' });
  });

  it('skips the second of two directory users with the same UPN', () => {
    const result = plan(fullRead([adUser(1, { userprincipalname: 'x@corp.example' }), adUser(2, { userprincipalname: 'X@corp.example' })]));
    expect(actions(result)).to.deep.equal({ [guid(1)]: 'create', [guid(2)]: 'skip' });
  });

  it('keeps the name with the user that already has it when another is renamed onto it', () => {
    const a = adUser(1);
    const b = adUser(2, { userprincipalname: 'u1@corp.example' });
    const result = plan(fullRead([b, a]), storeView({ users: [storedFrom(adUser(1)), storedFrom(adUser(2))] }));
    expect(actions(result)).to.deep.equal({ [guid(1)]: 'unchanged', [guid(2)]: 'skip' });
  });

  it('allows two users to swap names', () => {
    const a = adUser(1, { userprincipalname: 'u2@corp.example' });
    const b = adUser(2, { userprincipalname: 'u1@corp.example' });
    const result = plan(fullRead([a, b]), storeView({ users: [storedFrom(adUser(1)), storedFrom(adUser(2))] }));
    expect(actions(result)).to.deep.equal({ [guid(1)]: 'update', [guid(2)]: 'update' });
  });
});

describe('sync planner: the manager', () => {
  const bossDn = userDn(99);

  it('puts the store id of a manager the store holds into the profile', () => {
    const boss = adUser(99);
    const user = adUser(1, { manager: bossDn });
    const result = plan(fullRead([boss, user]), storeView({ users: [storedFrom(boss)] }));
    const entry = entryFor(result, guid(1));
    expect(entry.profile?.['enterprise']).to.deep.equal({ manager: { value: 'id-0063' } });
    expect(entry).not.to.have.property('managerAnchor');
  });

  it('marks the anchor of a manager created in the same run for the applier to resolve', () => {
    const result = plan(fullRead([adUser(99), adUser(1, { manager: bossDn })]));
    const entry = entryFor(result, guid(1));
    expect(entry.managerAnchor).to.equal(guid(99));
    expect(entry.profile?.['enterprise']).to.deep.equal({ manager: { value: guid(99) } });
  });

  it('is unchanged when the stored manager id is the resolved one', () => {
    const boss = adUser(99);
    const user = adUser(1, { manager: bossDn });
    const stored = storedFrom(user);
    const withManager = { ...stored, profile: { ...stored.profile, enterprise: { manager: { value: 'id-0063', displayName: 'Boss' } } } };
    expect(entryFor(plan(fullRead([boss, user]), storeView({ users: [storedFrom(boss), withManager] })), guid(1)).action).to.equal('unchanged');
  });

  it('updates the manager when AD names another one', () => {
    const boss = adUser(99);
    const other = adUser(98);
    const user = adUser(1, { manager: userDn(98) });
    const stored = storedFrom(user);
    const withManager = { ...stored, profile: { ...stored.profile, enterprise: { manager: { value: 'id-0063' } } } };
    const entry = entryFor(plan(fullRead([boss, other, user]), storeView({ users: [storedFrom(boss), storedFrom(other), withManager] })), guid(1));
    expect(entry.action).to.equal('update');
    expect(entry.changes).to.deep.equal([{ attribute: 'enterprise.manager', from: 'id-0063', to: 'id-0062' }]);
  });

  it('resolves a manager the delta run did not read through the store\'s DN index', () => {
    const user = adUser(1, { manager: bossDn.toUpperCase() });
    const store = storeView({ users: [storedFrom(adUser(99))], anchorsByDn: { [bossDn.toLowerCase()]: guid(99) } });
    expect(entryFor(plan(deltaRead({ users: [user] }), store), guid(1)).profile?.['enterprise']).to.deep.equal({ manager: { value: 'id-0063' } });
  });

  it('marks the anchor when the delta store view does not hold the manager', () => {
    const store = storeView({ anchorsByDn: { [bossDn.toLowerCase()]: guid(99) } });
    expect(only(plan(deltaRead({ users: [adUser(1, { manager: bossDn })] }), store)).managerAnchor).to.equal(guid(99));
  });

  it('drops a manager that is outside the scope and unknown to the store', () => {
    const entry = only(plan(fullRead([adUser(1, { manager: 'CN=Stranger,OU=Elsewhere,DC=corp,DC=example' })])));
    expect(entry.profile).not.to.have.property('enterprise');
    expect(entry).not.to.have.property('managerAnchor');
  });

  it('drops a manager deleted in this run', () => {
    const user = adUser(1, { manager: bossDn });
    const result = plan(fullRead([user]), storeView({ users: [storedFrom(adUser(99))] }), { deletePolicy: 'delete' });
    expect(entryFor(result, guid(1)).profile).not.to.have.property('enterprise');
  });

  it('uses the id of a soft-matched manager', () => {
    const result = plan(fullRead([adUser(99), adUser(1, { manager: bossDn })]), storeView({ candidates: [scimUser('u99@corp.example', 'scim-boss')] }), { softMatchByUserName: true });
    expect(entryFor(result, guid(1)).profile?.['enterprise']).to.deep.equal({ manager: { value: 'scim-boss' } });
  });
});

describe('sync planner: roles', () => {
  it('adds the direct members of a mapped group to an existing role', () => {
    const users = [adUser(1), adUser(2)];
    const group = adGroup('Auditors', [userDn(1), userDn(2)], { anchor: guid(500, 'f') });
    const result = plan(fullRead(users, [group]), storeView({ roleNames: ['Auditor'] }), {}, withRules(byDn('Auditors', 'Auditor')));
    expect(result.roles).to.deep.equal([{
      roleName: 'Auditor', create: false, madeFromGroup: false, groupAnchor: guid(500, 'f'), groupDn: groupDn('Auditors'), addAnchors: [guid(1), guid(2)], removeAnchors: [],
    }]);
  });

  it('finds the group by GUID in any case', () => {
    const group = adGroup('Auditors', [userDn(1)], { anchor: guid(500, 'f') });
    const rule: GroupRule = { group: { guid: guid(500, 'F').toUpperCase() }, role: 'Auditor' };
    expect(plan(fullRead([adUser(1)], [group]), storeView({ roleNames: ['auditor'] }), {}, withRules(rule)).roles[0]?.addAnchors).to.deep.equal([guid(1)]);
  });

  it('finds the group by DN regardless of case and spaces, and resolves member DNs the same way', () => {
    const group = adGroup('Auditors', [userDn(1).toLowerCase().replace(/,/g, ', ')]);
    const rule: GroupRule = { group: { dn: groupDn('auditors').toUpperCase() }, role: 'Auditor' };
    expect(plan(fullRead([adUser(1)], [group]), storeView(), {}, withRules(rule)).roles[0]?.addAnchors).to.deep.equal([guid(1)]);
  });

  it('removes AD members no longer in the group and keeps those still in it', () => {
    const users = [adUser(1), adUser(2), adUser(3)];
    const group = adGroup('Ops', [userDn(1), userDn(3)]);
    const store = storeView({ users: users.map((u) => storedFrom(u)), roleMembers: { Operator: [guid(1), guid(2)] } });
    const [role] = plan(fullRead(users, [group]), store, {}, withRules(byDn('Ops', 'Operator'))).roles;
    expect(role).to.deep.include({ addAnchors: [guid(3)], removeAnchors: [guid(2)] });
  });

  it('changes nothing when the role already has exactly the group\'s members', () => {
    const users = [adUser(1), adUser(2)];
    const store = storeView({ users: users.map((u) => storedFrom(u)), roleMembers: { Operator: [guid(2), guid(1).toUpperCase()] } });
    const [role] = plan(fullRead(users, [adGroup('Ops', [userDn(1), userDn(2)])]), store, {}, withRules(byDn('Ops', 'Operator'))).roles;
    expect(role).to.deep.include({ addAnchors: [], removeAnchors: [] });
  });

  it('flattens nested groups into the role', () => {
    const users = [1, 2, 3, 4].map((n) => adUser(n));
    const groups = [
      adGroup('Top', [userDn(1), groupDn('Middle')]),
      adGroup('Middle', [userDn(2), groupDn('Bottom')]),
      adGroup('Bottom', [userDn(3)]),
      adGroup('Unrelated', [userDn(4)]),
    ];
    const [role] = plan(fullRead(users, groups), storeView(), {}, withRules(byDn('Top', 'Operator'))).roles;
    expect(role?.addAnchors).to.deep.equal([guid(1), guid(2), guid(3)]);
  });

  it('terminates on a cycle of groups and grants the members of the whole cycle', () => {
    const users = [1, 2, 3].map((n) => adUser(n));
    const groups = [
      adGroup('A', [userDn(1), groupDn('B')]),
      adGroup('B', [userDn(2), groupDn('C')]),
      adGroup('C', [userDn(3), groupDn('A')]),
    ];
    const result = plan(fullRead(users, groups), storeView(), {}, withRules(byDn('B', 'Operator')));
    expect(result.roles[0]?.addAnchors).to.deep.equal([guid(1), guid(2), guid(3)]);
  });

  it('plans only the roles asked for, with the other roles\' groups unread (a streamed full run, one role at a time)', () => {
    const ops = adGroup('Ops', [userDn(1), groupDn('Nested')]);
    const nested = adGroup('Nested', [userDn(2)]);
    const unread = { ...adGroup('Auditors', []), membersUnread: true, nestedGroupDns: [] };
    const store = storeView({ roleMembers: { Operator: [guid(3)], Auditor: [guid(1)] } });
    const anchors = new Map([1, 2, 3].map((n) => [userDn(n).toLowerCase(), guid(n)]));
    const mapping = withRules(byDn('Ops', 'Operator'), byDn('Auditors', 'Auditor'));
    const plans = planRoles([ops, nested, unread], store, mapping, (dn) => anchors.get(dn), () => true, new Set(), new Map(), new Set([roleNameKey('Operator')]));
    expect(plans.map((role) => role.roleName)).to.deep.equal(['Operator']);
    expect(plans[0]).to.deep.include({ addAnchors: [guid(1), guid(2)], removeAnchors: [guid(3)] });
    // Planned whole, the role whose groups were not read is refused rather than emptied.
    expect(() => planRoles([ops, nested, unread], store, mapping, (dn) => anchors.get(dn), () => true, new Set()))
      .to.throw('role "Auditor" is planned whole but the members of');
  });

  it('plans a large role in steps (a full run serves its event loop between them), to the plan planRoles makes at once', () => {
    const members = Array.from({ length: 12_000 }, (_, i) => i + 1);
    const group = adGroup('Everyone', members.map((n) => userDn(n)));
    const store = storeView({ roleMembers: { Operator: [guid(1), guid(20_000)] } });
    const anchors = new Map(members.map((n) => [userDn(n).toLowerCase(), guid(n)]));
    const args = [[group], store, withRules(byDn('Everyone', 'Operator')), (dn: string) => anchors.get(dn), (anchor: string) => anchor !== guid(7), new Set<string>()] as const;
    const steps = planRolesInSteps(...args);
    let yielded = 0;
    let step = steps.next();
    for (; step.done !== true; step = steps.next()) yielded += 1;
    expect(yielded, 'a step per 5,000 members').to.equal(2);
    expect(step.value).to.deep.equal(planRoles(...args));
    expect(step.value[0]?.addAnchors).to.have.length(12_000 - 2); // user 1 holds it already; user 7 is not desired
    expect(step.value[0]?.removeAnchors).to.deep.equal([guid(20_000)]);
  });

  it('handles a group of 2,000 members, adding the new and removing the departed', () => {
    const users = Array.from({ length: 2000 }, (_, i) => adUser(i + 1));
    const group = adGroup('Everyone', users.map((user) => user.dn));
    const current = [...users.slice(0, 1500).map((user) => user.anchor), guid(9999)];
    const store = storeView({ users: users.slice(0, 1500).map((u) => storedFrom(u)), roleMembers: { Staff: current } });
    const result = plan(fullRead(users, [group]), store, {}, withRules(byDn('Everyone', 'Staff')));
    expect(result.roles[0]?.addAnchors).to.deep.equal(users.slice(1500).map((user) => user.anchor));
    expect(result.roles[0]?.removeAnchors).to.deep.equal([guid(9999)]);
    expect(countPlan(result)).to.deep.include({ create: 500, unchanged: 1500 });
  });

  it('takes a deleted user\'s membership away even though the group was not changed by the deletion', () => {
    const store = storeView({ users: [storedFrom(adUser(1)), storedFrom(adUser(2))], roleMembers: { Operator: [guid(1), guid(2)] } });
    // AD removed u2 from the group's member list; the delta read reads every mapped group whole.
    const read = deltaRead({ tombstones: [{ anchor: guid(2), kind: 'user', usnChanged: 2 }], groups: [adGroup('Ops', [userDn(1)])] });
    const result = plan(read, store, {}, withRules(byDn('Ops', 'Operator')));
    expect(result.roles[0]).to.deep.include({ addAnchors: [], removeAnchors: [guid(2)] });
  });

  it('does not grant a role to a deleted user the group still lists', () => {
    const store = storeView({ users: [storedFrom(adUser(2))], roleMembers: { Operator: [guid(2)] } });
    const read = deltaRead({ tombstones: [{ anchor: guid(2), kind: 'user', usnChanged: 2 }], groups: [adGroup('Ops', [userDn(2)])] });
    expect(plan(read, store, {}, withRules(byDn('Ops', 'Operator'))).roles[0]?.removeAnchors).to.deep.equal([guid(2)]);
  });

  it('takes the role away from a user disabled in AD and does not give it to a new disabled user', () => {
    const disabled = adUser(1, { useraccountcontrol: '514' });
    const newDisabled = adUser(2, { accountexpires: yesterday });
    const store = storeView({ users: [storedFrom(adUser(1))], roleMembers: { Operator: [guid(1)] } });
    const result = plan(fullRead([disabled, newDisabled], [adGroup('Ops', [userDn(1), userDn(2)])]), store, {}, withRules(byDn('Ops', 'Operator')));
    expect(result.roles[0]).to.deep.include({ addAnchors: [], removeAnchors: [guid(1)] });
  });

  it('takes the role away from a user that left the scope (full run)', () => {
    const store = storeView({ users: [storedFrom(adUser(1)), storedFrom(adUser(2))], roleMembers: { Operator: [guid(1), guid(2)] } });
    const result = plan(fullRead([adUser(1)], [adGroup('Ops', [userDn(1), userDn(2)])]), store, {}, withRules(byDn('Ops', 'Operator')));
    expect(result.roles[0]).to.deep.include({ addAnchors: [], removeAnchors: [guid(2)] });
  });

  it('takes the role away from a user that moved out of scope (delta run)', () => {
    const store = storeView({ users: [storedFrom(adUser(1))], roleMembers: { Operator: [guid(1)] } });
    const read = deltaRead({ outOfScope: [{ anchor: guid(1), dn: `CN=User 1,OU=Gone,${BASE}` }], groups: [adGroup('Ops', [`CN=User 1,OU=Gone,${BASE}`])] });
    expect(plan(read, store, {}, withRules(byDn('Ops', 'Operator'))).roles[0]?.removeAnchors).to.deep.equal([guid(1)]);
  });

  it('resolves members the delta run did not read through the store\'s DN index', () => {
    const store = storeView({ anchorsByDn: { [userDn(7).toLowerCase()]: guid(7) } });
    const read = deltaRead({ groups: [adGroup('Ops', [userDn(7)])] });
    expect(plan(read, store, {}, withRules(byDn('Ops', 'Operator'))).roles[0]?.addAnchors).to.deep.equal([guid(7)]);
  });

  it('does not grant a role in a delta run to a member the store knows as inactive', () => {
    const store = storeView({ users: [storedFrom(adUser(7), { active: false })] });
    const read = deltaRead({ groups: [adGroup('Ops', [userDn(7)])] });
    expect(plan(read, store, {}, withRules(byDn('Ops', 'Operator'))).roles[0]?.addAnchors).to.deep.equal([]);
  });

  it('does not grant a role in a full run to a member the directory did not return', () => {
    const store = storeView({ anchorsByDn: { [userDn(7).toLowerCase()]: guid(7) } });
    const result = plan(fullRead([], [adGroup('Ops', [userDn(7)])]), store, {}, withRules(byDn('Ops', 'Operator')));
    expect(result.roles[0]?.addAnchors).to.deep.equal([]);
  });

  it('ignores members that are neither users nor read groups (contacts, computers, foreign principals)', () => {
    const group = adGroup('Ops', [`CN=Printer,OU=Computers,${BASE}`, `CN=S-1-5-21-1,CN=ForeignSecurityPrincipals,${BASE}`, userDn(1)]);
    expect(plan(fullRead([adUser(1)], [group]), storeView(), {}, withRules(byDn('Ops', 'Operator'))).roles[0]?.addAnchors).to.deep.equal([guid(1)]);
  });

  it('keeps the memberships of a skipped user, neither adding nor removing', () => {
    const broken = adUser(1, { userprincipalname: undefined });
    const brokenNew = adUser(2, { userprincipalname: undefined });
    const store = storeView({ users: [storedFrom(adUser(1))], roleMembers: { Operator: [guid(1)], Auditor: [guid(1)] } });
    const groups = [adGroup('Ops', [userDn(1), userDn(2)]), adGroup('Auditors', [])];
    const result = plan(fullRead([broken, brokenNew], groups), store, {}, withRules(byDn('Ops', 'Operator'), byDn('Auditors', 'Auditor')));
    for (const role of result.roles) expect(role).to.deep.include({ addAnchors: [], removeAnchors: [] });
  });

  it('unions the members when two rules target the same role, whatever the case of its name', () => {
    const users = [1, 2, 3].map((n) => adUser(n));
    const groups = [adGroup('Ops EU', [userDn(1)]), adGroup('Ops US', [userDn(2)])];
    const store = storeView({ users: users.map((u) => storedFrom(u)), roleMembers: { operator: [guid(2), guid(3)] } });
    const result = plan(fullRead(users, groups), store, {}, withRules(byDn('Ops EU', 'Operator'), byDn('Ops US', 'OPERATOR')));
    expect(result.roles).to.have.length(1);
    expect(result.roles[0]).to.deep.include({ roleName: 'Operator', groupDn: groupDn('Ops EU'), addAnchors: [guid(1)], removeAnchors: [guid(3)] });
  });

  it('lists each role once, in the order the rules name them', () => {
    const result = plan(fullRead([], [adGroup('A', []), adGroup('B', [])]), storeView(), {}, withRules(byDn('B', 'Beta'), byDn('A', 'Alpha'), byDn('A', 'beta')));
    expect(result.roles.map((role) => role.roleName)).to.deep.equal(['Beta', 'Alpha']);
  });

  it('empties a role whose group is gone from AD', () => {
    const store = storeView({ users: [storedFrom(adUser(1))], roleMembers: { Auditor: [guid(1)] } });
    const rule: GroupRule = { group: { guid: guid(404, 'f') }, role: 'Auditor' };
    const result = plan(fullRead([adUser(1)], []), store, {}, withRules(rule));
    expect(result.roles).to.deep.equal([{ roleName: 'Auditor', create: false, madeFromGroup: false, groupAnchor: guid(404, 'f'), groupDn: '', addAnchors: [], removeAnchors: [guid(1)] }]);
  });

  it('plans a role named by a rule even if it does not exist, without creating it', () => {
    const result = plan(fullRead([], [adGroup('Ops', [])]), storeView(), {}, withRules(byDn('Ops', 'No Such Role')));
    expect(result.roles[0]).to.deep.include({ roleName: 'No Such Role', create: false });
  });

  describe('groupsUnder', () => {
    const rolesOu = `OU=Roles,${BASE}`;
    const rule: GroupRule = { groupsUnder: rolesOu, createRoles: true };

    it('plans one role per group under the OU, at any depth, created when missing', () => {
      const groups = [
        adGroup('Sales', [userDn(1)], { dn: `CN=Sales,${rolesOu}` }),
        adGroup('EMEA Support', [userDn(2)], { dn: `CN=EMEA Support,OU=EMEA,${rolesOu}` }),
        adGroup('Outside', [userDn(3)], { dn: groupDn('Outside') }),
      ];
      const result = plan(fullRead([1, 2, 3].map((n) => adUser(n)), groups), storeView(), {}, withRules(rule));
      expect(result.roles.map((role) => [role.roleName, role.create, role.addAnchors])).to.deep.equal([
        ['Sales', true, [guid(1)]],
        ['EMEA Support', true, [guid(2)]],
      ]);
    });

    it('does not create a role that exists (by name, case-insensitively)', () => {
      const groups = [adGroup('Sales', [userDn(1)], { dn: `CN=Sales,${rolesOu}` })];
      const result = plan(fullRead([adUser(1)], groups), storeView({ roleNames: ['SALES'] }), {}, withRules(rule));
      expect(result.roles[0]).to.deep.include({ roleName: 'Sales', create: false });
    });

    it('creates an empty role for an empty group', () => {
      const result = plan(fullRead([], [adGroup('Empty', [], { dn: `CN=Empty,${rolesOu}` })]), storeView(), {}, withRules(rule));
      expect(result.roles).to.deep.equal([{ roleName: 'Empty', create: true, madeFromGroup: true, groupAnchor: result.roles[0]?.groupAnchor, groupDn: `CN=Empty,${rolesOu}`, addAnchors: [], removeAnchors: [] }]);
    });

    it('flattens groups nested from outside the OU into the role', () => {
      const groups = [
        adGroup('Sales', [groupDn('Sales Interns')], { dn: `CN=Sales,${rolesOu}` }),
        adGroup('Sales Interns', [userDn(5)]),
      ];
      const result = plan(fullRead([adUser(5)], groups), storeView(), {}, withRules(rule));
      expect(result.roles).to.have.length(1);
      expect(result.roles[0]?.addAnchors).to.deep.equal([guid(5)]);
    });

    it('merges a groupsUnder role with a single-group rule naming the same role', () => {
      const groups = [adGroup('Sales', [userDn(1)], { dn: `CN=Sales,${rolesOu}` }), adGroup('Sales Partners', [userDn(2)])];
      const result = plan(fullRead([adUser(1), adUser(2)], groups), storeView(), {}, withRules(rule, byDn('Sales Partners', 'sales')));
      expect(result.roles).to.have.length(1);
      expect(result.roles[0]).to.deep.include({ roleName: 'Sales', create: true, addAnchors: [guid(1), guid(2)] });
    });

    it('finds the role made from a group by the group\'s objectGUID after the group was renamed in AD, and keeps its members', () => {
      const group = adGroup('Sales EMEA', [userDn(1), userDn(2)], { dn: `CN=Sales EMEA,${rolesOu}`, anchor: guid(77, 'f') });
      const store = storeView({
        users: [storedFrom(adUser(1)), storedFrom(adUser(3))],
        linkedRoles: { [guid(77, 'f')]: 'Sales' },
        roleMembers: { Sales: [guid(1), guid(3)] },
      });
      const result = plan(fullRead([adUser(1), adUser(2), adUser(3)], [group]), store, {}, withRules(rule));
      expect(result.roles).to.deep.equal([{
        roleName: 'Sales EMEA', create: false, madeFromGroup: true, groupAnchor: guid(77, 'f'), groupDn: `CN=Sales EMEA,${rolesOu}`,
        addAnchors: [guid(2)], removeAnchors: [guid(3)], renamedFrom: 'Sales',
      }]);
    });

    it('takes a look-alike group name (fullwidth, no-break space, other case) for the role of that name, not a new one', () => {
      const groups = [adGroup('Ｓａｌｅｓ\u00a0TEAM ', [userDn(1)], { dn: `CN=Sales Team,${rolesOu}` })];
      const result = plan(fullRead([adUser(1)], groups), storeView({ roleNames: ['Sales Team'] }), {}, withRules(rule));
      expect(result.roles[0]).to.deep.include({ create: false, addAnchors: [guid(1)] });
    });

    it('matches the OU regardless of case and spacing', () => {
      const groups = [adGroup('Sales', [], { dn: `cn=Sales, ou=roles, dc=corp, dc=example` })];
      expect(plan(fullRead([], groups), storeView(), {}, withRules(rule)).roles).to.have.length(1);
    });
  });
});

describe('sync planner: counters', () => {
  it('counts every action, zero included, from the entries', () => {
    expect(countPlan({ users: [], roles: [] })).to.deep.equal({ create: 0, update: 0, deactivate: 0, delete: 0, reactivate: 0, unchanged: 0, skip: 0 });
  });

  it('runs a mixed full sync: every kind of entry at once, and counters that add up', () => {
    const users = [
      adUser(1), // new → create
      adUser(2, { title: 'Lead' }), // changed → update
      adUser(3), // same → unchanged
      adUser(4, { useraccountcontrol: '514' }), // disabled → deactivate
      adUser(5), // back → reactivate
      adUser(6, { userprincipalname: undefined }), // unmappable → skip
      adUser(7, { userprincipalname: 'adopt@corp.example' }), // soft-match → update
    ];
    const store = storeView({
      users: [
        storedFrom(adUser(2)), storedFrom(adUser(3)), storedFrom(adUser(4)), storedFrom(adUser(5), { active: false }),
        storedFrom(adUser(6)), storedFrom(adUser(8)), storedFrom(adUser(9), { active: false }),
      ],
      candidates: [scimUser('adopt@corp.example')],
      roleMembers: { Operator: [guid(3), guid(4), guid(8)] },
    });
    const groups = [adGroup('Ops', [userDn(1), userDn(3), userDn(4), userDn(5), userDn(7), userDn(8)])];
    const result = plan(fullRead(users, groups), store, { softMatchByUserName: true }, withRules(byDn('Ops', 'Operator')));
    expect(actions(result)).to.deep.equal({
      [guid(1)]: 'create', [guid(2)]: 'update', [guid(3)]: 'unchanged', [guid(4)]: 'deactivate', [guid(5)]: 'reactivate',
      [guid(6)]: 'skip', [guid(7)]: 'update', [guid(8)]: 'deactivate', [guid(9)]: 'unchanged',
    });
    expect(countPlan(result)).to.deep.equal({ create: 1, update: 2, deactivate: 2, delete: 0, reactivate: 1, unchanged: 2, skip: 1 });
    const total = Object.values(countPlan(result)).reduce((sum, n) => sum + n, 0);
    expect(total).to.equal(result.users.length);
    expect(result.roles[0]).to.deep.include({ addAnchors: [guid(1), guid(5), guid(7)], removeAnchors: [guid(4), guid(8)] });
  });

  it('runs a mixed delta sync', () => {
    const store = storeView({
      users: [storedFrom(adUser(1)), storedFrom(adUser(2)), storedFrom(adUser(3))],
      anchorsByDn: { [userDn(10).toLowerCase()]: guid(10) },
      roleMembers: { Operator: [guid(2), guid(3), guid(10)] },
    });
    const read = deltaRead({
      users: [adUser(1, { title: 'New' }), adUser(4)],
      tombstones: [{ anchor: guid(2), kind: 'user', usnChanged: 5 }],
      outOfScope: [{ anchor: guid(3), dn: `CN=User 3,OU=Gone,${BASE}` }],
      groups: [adGroup('Ops', [userDn(1), userDn(4), userDn(10)])],
    });
    const result = plan(read, store, {}, withRules(byDn('Ops', 'Operator')));
    expect(actions(result)).to.deep.equal({ [guid(1)]: 'update', [guid(4)]: 'create', [guid(2)]: 'deactivate', [guid(3)]: 'deactivate' });
    expect(entryFor(result, guid(2)).reason).to.equal('deleted in Active Directory');
    expect(entryFor(result, guid(3)).reason).to.equal('left the sync scope');
    expect(result.roles[0]).to.deep.include({ addAnchors: [guid(1), guid(4)], removeAnchors: [guid(2), guid(3)] });
  });
});
