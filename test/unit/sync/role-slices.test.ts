import { expect } from 'chai';
import { roleSlices } from '../../../sync/run-entries';
import type { RolePlanEntry } from '../../../sync/types';
import { guid } from './helpers';

const anchors = (from: number, count: number): string[] => Array.from({ length: count }, (_, i) => guid(from + i));

const plan = (add: number, remove: number, extra: Partial<RolePlanEntry> = {}): RolePlanEntry => ({
  roleName: 'Everyone', create: false, madeFromGroup: true, groupAnchor: guid(1, 'f'), groupDn: 'CN=Everyone,OU=Groups,DC=corp,DC=example',
  addAnchors: anchors(1, add), removeAnchors: anchors(100_000, remove), ...extra,
});

describe('sync: a role written in slices', () => {
  it('keeps a plan within the size whole', () => {
    const role = plan(3, 2, { create: true, renamedFrom: 'All staff' });
    expect(roleSlices(role, 5)).to.deep.equal([role]);
  });

  it('cuts adds, then removes, into slices of at most the size, losing and repeating none', () => {
    const role = plan(7, 5);
    const slices = roleSlices(role, 4);
    expect(slices.map((slice) => [slice.addAnchors.length, slice.removeAnchors.length])).to.deep.equal([[4, 0], [3, 1], [0, 4]]);
    expect(slices.flatMap((slice) => slice.addAnchors)).to.deep.equal(role.addAnchors);
    expect(slices.flatMap((slice) => slice.removeAnchors)).to.deep.equal(role.removeAnchors);
  });

  it('creates and renames the role in the first slice only', () => {
    const slices = roleSlices(plan(5, 0, { create: true, renamedFrom: 'All staff' }), 2);
    expect(slices.map((slice) => [slice.create, slice.renamedFrom])).to.deep.equal([[true, 'All staff'], [false, undefined], [false, undefined]]);
    expect(slices.every((slice) => slice.roleName === 'Everyone' && slice.groupAnchor === guid(1, 'f'))).to.equal(true);
  });
});
