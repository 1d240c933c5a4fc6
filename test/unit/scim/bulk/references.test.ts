import { expect } from 'chai';
import {
  executionOrder, MAX_DATA_DEPTH, referencedBulkId, referencesIn, substituteReferences, type OrderNode,
} from '../../../../scim/bulk/references';
import { ScimError } from '../../../../scim/errors';

function nested(depth: number, leaf: unknown): unknown {
  let value = leaf;
  for (let level = 0; level < depth; level++) value = { child: value };
  return value;
}

describe('bulkId references', () => {
  describe('referencedBulkId', () => {
    it('reads a whole "bulkId:<id>" string and nothing else', () => {
      expect(referencedBulkId('bulkId:qwerty')).to.equal('qwerty');
      expect(referencedBulkId('bulkId:a:b')).to.equal('a:b');
      for (const value of ['bulkId:', 'BULKID:qwerty', 'xbulkId:qwerty', ' bulkId:qwerty', 42, null, undefined, { value: 'bulkId:q' }]) {
        expect(referencedBulkId(value), String(value)).to.equal(undefined);
      }
    });
  });

  describe('referencesIn', () => {
    it('finds references at any depth, in arrays and objects, once each in first-met order', () => {
      const data = {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
        displayName: 'Tour Guides',
        members: [{ value: 'bulkId:b', type: 'User' }, { value: 'bulkId:a' }, { value: 'bulkId:b' }, { value: 'plain-id' }],
        'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { manager: { value: 'bulkId:c' } },
      };
      expect(referencesIn(data)).to.deep.equal(['b', 'a', 'c']);
    });

    it('finds none in data without references, or in no data', () => {
      expect(referencesIn({ userName: 'ada', emails: [{ value: 'ada@example.com' }] })).to.deep.equal([]);
      expect(referencesIn(undefined)).to.deep.equal([]);
      expect(referencesIn('bulkId:top')).to.deep.equal(['top']);
    });

    it('refuses data nested deeper than MAX_DATA_DEPTH with 400 invalidSyntax, without exhausting the stack', () => {
      expect(referencesIn(nested(MAX_DATA_DEPTH - 1, 'bulkId:x'))).to.deep.equal(['x']);
      for (const depth of [MAX_DATA_DEPTH + 1, 200_000]) {
        let caught: unknown;
        try {
          referencesIn(nested(depth, 'bulkId:x'));
        } catch (error) {
          caught = error;
        }
        expect(caught).to.be.instanceOf(ScimError);
        expect((caught as ScimError).status).to.equal(400);
        expect((caught as ScimError).scimType).to.equal('invalidSyntax');
      }
    });
  });

  describe('substituteReferences', () => {
    it('replaces every reference with the resolved id and leaves the input untouched', () => {
      const data = { members: [{ value: 'bulkId:a' }, { value: 'id-1' }], manager: { value: 'bulkId:b' }, note: 'bulkId:', n: 3, ok: true, none: null };
      const copy = JSON.parse(JSON.stringify(data)) as unknown;
      const result = substituteReferences(data, (bulkId) => `id-of-${bulkId}`);
      expect(result).to.deep.equal({
        members: [{ value: 'id-of-a' }, { value: 'id-1' }], manager: { value: 'id-of-b' }, note: 'bulkId:', n: 3, ok: true, none: null,
      });
      expect(data).to.deep.equal(copy);
    });

    it('propagates what the resolver throws', () => {
      const refused = new ScimError(409, 'invalidValue', 'no');
      expect(() => substituteReferences({ value: 'bulkId:a' }, () => {
        throw refused;
      })).to.throw(refused);
    });

    it('keeps a "__proto__" key of client JSON as data, never as a prototype', () => {
      const data = JSON.parse('{"__proto__": {"polluted": "bulkId:a"}, "x": 1}') as unknown;
      const result = substituteReferences(data, () => 'id-a') as Record<string, unknown>;
      expect(Object.getPrototypeOf(result)).to.equal(Object.prototype);
      expect(Object.hasOwn(result, '__proto__')).to.equal(true);
      expect(Object.getOwnPropertyDescriptor(result, '__proto__')?.value).to.deep.equal({ polluted: 'id-a' });
      expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
    });
  });

  describe('executionOrder', () => {
    const node = (declares?: string, ...references: string[]): OrderNode => ({ declares, references });

    it('keeps request order when nothing refers forward', () => {
      const plan = executionOrder([node('a'), node('b', 'a'), node(undefined, 'a', 'b'), node()]);
      expect(plan.order).to.deep.equal([0, 1, 2, 3]);
      expect([...plan.circular]).to.deep.equal([]);
      expect([...plan.declarers]).to.deep.equal([['a', 0], ['b', 1]]);
    });

    it('runs a later POST first when an earlier operation refers to it (forward reference)', () => {
      // 0: group with members a and c; 1: POST a; 2: unrelated; 3: POST c
      const plan = executionOrder([node('g', 'a', 'c'), node('a'), node(), node('c')]);
      expect(plan.order).to.deep.equal([1, 3, 0, 2]);
      expect(plan.circular.size).to.equal(0);
    });

    it('orders a chain of forward references deepest first', () => {
      const plan = executionOrder([node('a', 'b'), node('b', 'c'), node('c')]);
      expect(plan.order).to.deep.equal([2, 1, 0]);
    });

    it('reports the operations of a cycle as circular, and only those', () => {
      // 0 ↔ 2 form a cycle; 1 depends on the cycle; 3 is independent.
      const plan = executionOrder([node('a', 'c'), node('b', 'a'), node('c', 'a'), node('d')]);
      expect([...plan.circular].sort()).to.deep.equal([0, 2]);
      expect(plan.order).to.have.members([0, 1, 2, 3]);
      expect(plan.order.indexOf(1)).to.be.greaterThan(plan.order.indexOf(0));
      expect(plan.order.indexOf(1)).to.be.greaterThan(plan.order.indexOf(2));
    });

    it('reports an operation referring to its own bulkId as circular', () => {
      const plan = executionOrder([node('self', 'self'), node('other')]);
      expect([...plan.circular]).to.deep.equal([0]);
      expect(plan.order).to.deep.equal([0, 1]);
    });

    it('reports every operation of a longer cycle', () => {
      const plan = executionOrder([node('a', 'b'), node('b', 'c'), node('c', 'a'), node(undefined, 'c')]);
      expect([...plan.circular].sort()).to.deep.equal([0, 1, 2]);
      expect(plan.order[3]).to.equal(3);
    });

    it('adds no edge for an unknown bulkId, and lets the first of duplicate declarations win', () => {
      const plan = executionOrder([node(undefined, 'nobody'), node('dup'), node('dup'), node(undefined, 'dup')]);
      expect(plan.order).to.deep.equal([0, 1, 2, 3]);
      expect(plan.declarers.get('dup')).to.equal(1);
      expect(plan.declarers.has('nobody')).to.equal(false);
    });

    it('orders a chain of 1000 forward references without recursion', () => {
      const count = 1000;
      const nodes = Array.from({ length: count }, (_, index) => index === count - 1
        ? node(`n${index}`) : node(`n${index}`, `n${index + 1}`));
      const plan = executionOrder(nodes);
      expect(plan.order).to.deep.equal(Array.from({ length: count }, (_, index) => count - 1 - index));
      expect(plan.circular.size).to.equal(0);
    });

    it('puts every operation in the order exactly once, each after what it refers to', () => {
      // A fixed pseudo-random graph: each node may refer to a few others, forward or backward.
      let seed = 7;
      const random = (limit: number): number => {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        return seed % limit;
      };
      const count = 200;
      const nodes = Array.from({ length: count }, (_, index) => node(`n${index}`,
        ...Array.from({ length: random(3) }, () => `n${random(count)}`)));
      const plan = executionOrder(nodes);
      expect([...plan.order].sort((a, b) => a - b)).to.deep.equal(Array.from({ length: count }, (_, index) => index));
      const position = new Map(plan.order.map((index, at) => [index, at]));
      nodes.forEach((current, index) => {
        for (const bulkId of current.references) {
          const declarer = Number(bulkId.slice(1));
          if (plan.circular.has(index) && plan.circular.has(declarer)) continue;
          expect(position.get(declarer), `${declarer} before ${index}`).to.be.lessThan(position.get(index) as number);
        }
      });
    });
  });
});
