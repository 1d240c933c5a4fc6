import { expect } from 'chai';
import { canonical, diffProfiles } from '../../../sync/profile-diff';

describe('sync profile diff', () => {
  const base = {
    userName: 'ann@corp.example',
    name: { givenName: 'Ann', familyName: 'Lee' },
    emails: [{ type: 'work', primary: true, value: 'ann@corp.example' }],
    enterprise: { department: 'R&D', manager: { value: 'id-1' } },
  };

  it('finds no change between equal profiles', () => {
    expect(diffProfiles(base, true, structuredClone(base), true)).to.deep.equal([]);
  });

  it('ignores key order at every level', () => {
    const shuffled = {
      enterprise: { manager: { value: 'id-1' }, department: 'R&D' },
      emails: [{ value: 'ann@corp.example', primary: true, type: 'work' }],
      name: { familyName: 'Lee', givenName: 'Ann' },
      userName: 'ann@corp.example',
    };
    expect(diffProfiles(shuffled, true, base, true)).to.deep.equal([]);
  });

  it('ignores the order of multi-valued items', () => {
    const two = [{ type: 'work', value: 'a@x' }, { type: 'home', value: 'b@x' }];
    expect(diffProfiles({ userName: 'a', emails: two }, true, { userName: 'a', emails: [...two].reverse() }, true)).to.deep.equal([]);
  });

  it('treats null, empty lists and empty objects as absent', () => {
    const before = { userName: 'a', title: null, emails: [], name: {}, enterprise: { manager: {} } };
    expect(diffProfiles(before, true, { userName: 'a' }, true)).to.deep.equal([]);
  });

  it('compares a manager by its value only', () => {
    const stored = { userName: 'a', enterprise: { manager: { value: 'id-1', displayName: 'Boss', $ref: '../Users/id-1' } } };
    expect(diffProfiles(stored, true, { userName: 'a', enterprise: { manager: { value: 'id-1' } } }, true)).to.deep.equal([]);
    expect(diffProfiles(stored, true, { userName: 'a', enterprise: { manager: { value: 'id-2' } } }, true))
      .to.deep.equal([{ attribute: 'enterprise.manager', from: 'id-1', to: 'id-2' }]);
  });

  const changes: ReadonlyArray<readonly [string, Record<string, unknown>, Record<string, unknown>, unknown[]]> = [
    ['a changed title', { userName: 'a', title: 'X' }, { userName: 'a', title: 'Y' }, [{ attribute: 'title', from: 'X', to: 'Y' }]],
    ['an added title (no from)', { userName: 'a' }, { userName: 'a', title: 'Y' }, [{ attribute: 'title', to: 'Y' }]],
    ['a removed title (no to)', { userName: 'a', title: 'X' }, { userName: 'a' }, [{ attribute: 'title', from: 'X' }]],
    ['a changed given name, one level down', { userName: 'a', name: { givenName: 'A', familyName: 'L' } }, { userName: 'a', name: { givenName: 'B', familyName: 'L' } }, [{ attribute: 'name.givenName', from: 'A', to: 'B' }]],
    ['a changed department', { userName: 'a', enterprise: { department: 'X' } }, { userName: 'a', enterprise: { department: 'Y' } }, [{ attribute: 'enterprise.department', from: 'X', to: 'Y' }]],
    ['a changed e-mail, as the whole attribute', { userName: 'a', emails: [{ type: 'work', value: 'a@x' }] }, { userName: 'a', emails: [{ type: 'work', value: 'b@x' }] }, [{ attribute: 'emails', from: [{ type: 'work', value: 'a@x' }], to: [{ type: 'work', value: 'b@x' }] }]],
    ['a renamed user, listed first', { userName: 'a', title: 'X' }, { userName: 'b', title: 'Y' }, [{ attribute: 'userName', from: 'a', to: 'b' }, { attribute: 'title', from: 'X', to: 'Y' }]],
  ];
  for (const [title, before, after, expected] of changes) {
    it(`lists ${title}`, () => {
      expect(diffProfiles(before, true, after, true)).to.deep.equal(expected);
    });
  }

  it('takes active from the arguments, not the profiles, and lists it last', () => {
    expect(diffProfiles({ userName: 'a', active: false, title: 'X' }, true, { userName: 'a', active: true, title: 'Y' }, false)).to.deep.equal([
      { attribute: 'title', from: 'X', to: 'Y' },
      { attribute: 'active', from: true, to: false },
    ]);
  });

  it('lists everything, active included, for a creation', () => {
    expect(diffProfiles({}, undefined, { userName: 'a', title: 'T' }, true)).to.deep.equal([
      { attribute: 'userName', to: 'a' },
      { attribute: 'title', to: 'T' },
      { attribute: 'active', to: true },
    ]);
  });

  it('keeps a key named __proto__ (as JSON.parse makes it) as a key, not as the object\'s prototype', () => {
    const stored = JSON.parse('{"userName":"a","addresses":[{"__proto__":{"polluted":true},"type":"work"}]}') as Record<string, unknown>;
    const changes = diffProfiles(stored, true, { userName: 'a' }, true);
    expect(changes).to.have.length(1);
    expect(JSON.stringify(changes[0]?.from)).to.equal('[{"__proto__":{"polluted":true},"type":"work"}]');
    expect(({} as Record<string, unknown>)['polluted']).to.equal(undefined);
  });

  it('sorts items of several by their canonical text, and keeps a single item as it is', () => {
    const three = [{ value: 'c', type: 'x' }, { type: 'x', value: 'a' }, { value: 'b' }];
    const [change] = diffProfiles({ userName: 'a' }, true, { userName: 'a', emails: three }, true);
    expect(change?.to).to.deep.equal([{ type: 'x', value: 'a' }, { type: 'x', value: 'c' }, { value: 'b' }]);
    expect(diffProfiles({ userName: 'a' }, true, { userName: 'a', emails: [{ value: 'z', primary: null }] }, true)[0]?.to)
      .to.deep.equal([{ value: 'z' }]);
  });

  it('writes canonical JSON with sorted keys', () => {
    expect(canonical({ b: 1, a: [{ d: 2, c: null }] })).to.equal('{"a":[{"c":null,"d":2}],"b":1}');
  });
});
