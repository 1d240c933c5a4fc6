/**
 * A delta run's roles: which are planned whole (their groups' members read) and which only for the
 * users the delta touched (chooseDeltaScope), and how the planner plans the latter from memberOf.
 */
import { expect } from 'chai';
import { roleNameKey } from '../../../src/identity/role-name';
import { chooseDeltaScope, type DeltaScope } from '../../../sync/delta-scope';
import { planSync, type PlannedSync } from '../../../sync/planner';
import type { DirectoryGroup, DirectoryRead, DirectoryUser, GroupRule, StoreView, SyncMapping } from '../../../sync/types';
import { adGroup, adUser, BASE, DEFAULT_MAPPING, deltaRead, guid, NOW, OPTIONS, storedFrom, storeView, userDn } from './helpers';

/** The watermark the delta starts from: groups above it changed. */
const SINCE = 1000;
const groupDn = (name: string): string => `CN=${name},OU=Groups,${BASE}`;
const rules = (...groups: GroupRule[]): SyncMapping => ({ ...DEFAULT_MAPPING, groups });
const byDn = (name: string, role: string): GroupRule => ({ group: { dn: groupDn(name) }, role });

/** A group as a delta reads it first: no members, its nested groups, changed or not since the watermark. */
function header(name: string, options: { nested?: string[]; changed?: boolean } = {}): DirectoryGroup {
  return { ...adGroup(name, []), usnChanged: options.changed === true ? SINCE + 5 : SINCE - 5, membersUnread: true, nestedGroupDns: (options.nested ?? []).map(groupDn) };
}

/** A changed user as a delta reads it, with the groups it is a direct member of. */
function changed(n: number, memberOf: string[], attributes: Record<string, string | undefined> = {}, dn?: string): DirectoryUser {
  return { ...adUser(n, attributes, dn === undefined ? {} : { dn }), memberOf: memberOf.map(groupDn) };
}

function scope(read: DirectoryRead, mapping: SyncMapping, rolesWithAdMembers: string[]): DeltaScope {
  return chooseDeltaScope(read, mapping, { roleNames: new Set(rolesWithAdMembers.map(roleNameKey)), linkedRoles: new Map(), rolesWithAdMembers: new Set(rolesWithAdMembers.map(roleNameKey)) }, SINCE);
}

describe('sync delta scope: which roles a delta plans whole', () => {
  it('plans a role whose groups did not change for the touched users only, and reads no member list', () => {
    const read = deltaRead({ groups: [header('Ops'), header('Sales', { changed: true })] });
    const result = scope(read, rules(byDn('Ops', 'Operator'), byDn('Sales', 'Seller')), ['Operator', 'Seller']);
    expect([...result.touchedOnlyRoles]).to.deep.equal(['operator']);
    expect([...result.wholeRoles]).to.deep.equal(['seller']);
    expect([...result.groupsToRead]).to.deep.equal([read.groups[1]?.anchor]);
  });

  it('plans the parent\'s role whole when a group nested in it (however deep) changed, and reads them all', () => {
    const groups = [header('Top', { nested: ['Middle'] }), header('Middle', { nested: ['Bottom'] }), header('Bottom', { changed: true }), header('Other')];
    const result = scope(deltaRead({ groups }), rules(byDn('Top', 'Operator'), byDn('Other', 'Auditor')), ['Operator', 'Auditor']);
    expect([...result.wholeRoles]).to.deep.equal(['operator']);
    expect([...result.groupsToRead].sort()).to.deep.equal(groups.slice(0, 3).map((group) => group.anchor).sort());
    expect([...result.touchedOnlyRoles]).to.deep.equal(['auditor']);
  });

  it('reads every group of a role planned whole, the unchanged ones too (rules naming one role union their members)', () => {
    const groups = [header('A', { changed: true }), header('B')];
    const result = scope(deltaRead({ groups }), rules(byDn('A', 'Operator'), byDn('B', 'Operator')), ['Operator']);
    expect([...result.groupsToRead].sort()).to.deep.equal(groups.map((group) => group.anchor).sort());
  });

  it('plans every role whole when a group was deleted: AD drops it from its parents without changing them', () => {
    const read = deltaRead({ groups: [header('Ops')], tombstones: [{ anchor: guid(7, 'e'), kind: 'group', usnChanged: SINCE + 1 }] });
    expect([...scope(read, rules(byDn('Ops', 'Operator')), ['Operator']).wholeRoles]).to.deep.equal(['operator']);
  });

  it('plans whole a role whose group is gone, and one without AD-sourced members in the store (a rule new in the mapping)', () => {
    const read = deltaRead({ groups: [header('Ops')] });
    expect([...scope(read, rules(byDn('Gone', 'Operator')), ['Operator']).wholeRoles]).to.deep.equal(['operator']);
    expect([...scope(read, rules(byDn('Ops', 'Operator')), []).wholeRoles]).to.deep.equal(['operator']);
  });
});

describe('sync planner: roles of unchanged groups in a delta run', () => {
  const mapping = rules(byDn('Ops', 'Operator'));
  /** The store view of a delta where Operator is planned for the touched users only. */
  const touchedOnly = (parts: Parameters<typeof storeView>[0]): StoreView => ({ ...storeView(parts), rolesTouchedOnly: new Set(['operator']) });
  const plan = (read: DirectoryRead, store: StoreView, map: SyncMapping = mapping): PlannedSync => planSync(read, store, map, OPTIONS, NOW);
  const role = (result: PlannedSync) => ({ add: result.roles[0]?.addAnchors, remove: result.roles[0]?.removeAnchors });

  it('takes the role from a member disabled in AD, and leaves every member the delta did not touch alone', () => {
    const disabled = changed(1, ['Ops'], { useraccountcontrol: '514' });
    const store = touchedOnly({ users: [storedFrom(adUser(1))], roleMembers: { Operator: [guid(1), guid(2)] } });
    expect(role(plan(deltaRead({ users: [disabled], groups: [header('Ops')] }), store))).to.deep.equal({ add: [], remove: [guid(1)] });
  });

  it('gives the role back to a member enabled again', () => {
    const store = touchedOnly({ users: [storedFrom(adUser(1, { useraccountcontrol: '514' }))], roleMembers: { Operator: [guid(2)] } });
    expect(role(plan(deltaRead({ users: [changed(1, ['Ops'])], groups: [header('Ops')] }), store))).to.deep.equal({ add: [guid(1)], remove: [] });
  });

  it('keeps the role of a member renamed or moved (its DN in the group changed, the group did not)', () => {
    const store = touchedOnly({ users: [storedFrom(adUser(1))], roleMembers: { Operator: [guid(1)] } });
    const moved = changed(1, ['Ops'], { title: 'Moved' }, userDn(1, 'OU=Elsewhere'));
    expect(role(plan(deltaRead({ users: [moved], groups: [header('Ops')] }), store))).to.deep.equal({ add: [], remove: [] });
  });

  it('does not grant the role to a touched user outside the group', () => {
    const store = touchedOnly({ users: [storedFrom(adUser(1))] });
    expect(role(plan(deltaRead({ users: [changed(1, ['Sales'], { title: 'New' })], groups: [header('Ops')] }), store))).to.deep.equal({ add: [], remove: [] });
  });

  it('takes the role from a deleted member and from one gone out of scope', () => {
    const store = touchedOnly({ users: [storedFrom(adUser(1)), storedFrom(adUser(2))], roleMembers: { Operator: [guid(1), guid(2), guid(3)] } });
    const read = deltaRead({
      groups: [header('Ops')], tombstones: [{ anchor: guid(1), kind: 'user', usnChanged: SINCE + 1 }], outOfScope: [{ anchor: guid(2), dn: userDn(2, 'OU=Gone') }],
    });
    expect(role(plan(read, store))).to.deep.equal({ add: [], remove: [guid(1), guid(2)] });
  });

  it('grants the role through a nested group the user is a member of', () => {
    const store = touchedOnly({ users: [storedFrom(adUser(1, { useraccountcontrol: '514' }))] });
    const read = deltaRead({ users: [changed(1, ['Bottom'])], groups: [header('Top', { nested: ['Bottom'] }), header('Bottom')] });
    expect(role(plan(read, store, rules(byDn('Top', 'Operator'))))).to.deep.equal({ add: [guid(1)], remove: [] });
  });

  it('lets a skipped member keep the role', () => {
    const store = touchedOnly({ users: [storedFrom(adUser(1))], roleMembers: { Operator: [guid(1)] } });
    const broken = changed(1, [], { userprincipalname: undefined });
    expect(role(plan(deltaRead({ users: [broken], groups: [header('Ops')] }), store))).to.deep.equal({ add: [], remove: [] });
  });

  it('refuses to plan whole a role whose group\'s members were not read, and a touched user read without memberOf', () => {
    expect(() => plan(deltaRead({ groups: [header('Ops')] }), storeView({ roleMembers: { Operator: [guid(1)] } }))).to.throw(/were not read/);
    expect(() => plan(deltaRead({ users: [adUser(1)], groups: [header('Ops')] }), touchedOnly({}))).to.throw(/without memberOf/);
  });
});
