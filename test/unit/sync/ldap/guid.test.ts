import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import fc from 'fast-check';
import {
  guidFilterValue, guidToBytes, guidToString, InvalidGuidError, isCanonicalGuid, normalizeGuid, parseGuidInto,
} from '../../../../sync/ldap/guid';

const bytes = (hex: string): Buffer => Buffer.from(hex.replace(/\s/g, ''), 'hex');

/**
 * Stored bytes (AD's layout) ↔ canonical string. The first vector was read from a Samba DC: objectGUID
 * `uoaTUr0i3kq0MGkRW3nA2g==` is `<GUID=529386ba-22bd-4ade-b430-69115b79c0da>` in its extended DN.
 */
const VECTORS: readonly (readonly [string, string])[] = [
  ['ba869352 bd22 de4a b430 69115b79c0da', '529386ba-22bd-4ade-b430-69115b79c0da'],
  ['00010203 0405 0607 0809 0a0b0c0d0e0f', '03020100-0504-0706-0809-0a0b0c0d0e0f'],
  ['4ecec2f4 081f 5843 abdc fe3f035af4cd', 'f4c2ce4e-1f08-4358-abdc-fe3f035af4cd'],
  ['00000000 0000 0000 0000 000000000000', '00000000-0000-0000-0000-000000000000'],
  ['ffffffff ffff ffff ffff ffffffffffff', 'ffffffff-ffff-ffff-ffff-ffffffffffff'],
  ['78563412 bc9a f0de 1234 56789abcdef0', '12345678-9abc-def0-1234-56789abcdef0'],
  ['5c282a29 0000 5c5c 2a2a 282900ff80c0', '292a285c-0000-5c5c-2a2a-282900ff80c0'],
];

describe('sync/ldap/guid', () => {
  describe('guidToString', () => {
    for (const [stored, canonical] of VECTORS) {
      it(`${stored.replace(/ /g, '')} → ${canonical}`, () => {
        expect(guidToString(bytes(stored))).to.equal(canonical);
      });
    }

    it('accepts a Uint8Array, and a Buffer that is a view into a larger buffer', () => {
      expect(guidToString(new Uint8Array(bytes(VECTORS[0]![0])))).to.equal(VECTORS[0]![1]);
      const big = Buffer.concat([Buffer.from([1, 2, 3]), bytes(VECTORS[1]![0]), Buffer.from([9])]);
      expect(guidToString(big.subarray(3, 19))).to.equal(VECTORS[1]![1]);
    });

    for (const length of [0, 1, 15, 17, 32]) {
      it(`refuses ${length} bytes`, () => {
        expect(() => guidToString(Buffer.alloc(length))).to.throw(InvalidGuidError, /16 bytes/);
      });
    }

    it('refuses a value that is not bytes', () => {
      expect(() => guidToString('529386ba22bd4adeb43069115b79c0da' as unknown as Uint8Array)).to.throw(InvalidGuidError);
    });
  });

  describe('guidToBytes', () => {
    for (const [stored, canonical] of VECTORS) {
      it(`${canonical} → ${stored.replace(/ /g, '')}`, () => {
        expect(guidToBytes(canonical).equals(bytes(stored))).to.equal(true);
      });
    }

    it('accepts upper case and braces', () => {
      expect(guidToBytes('{F4C2CE4E-1F08-4358-ABDC-FE3F035AF4CD}').equals(bytes(VECTORS[2]![0]))).to.equal(true);
      expect(guidToBytes(' 529386BA-22bd-4ADE-b430-69115B79C0DA ').equals(bytes(VECTORS[0]![0]))).to.equal(true);
    });

    const invalid = [
      '', 'x', '529386ba22bd4adeb43069115b79c0da', '529386ba-22bd-4ade-b430-69115b79c0d', '529386ba-22bd-4ade-b430-69115b79c0dab',
      '529386b-a22bd-4ade-b430-69115b79c0da', '529386ba-22bd-4ade-b430-69115b79c0dg', '{529386ba-22bd-4ade-b430-69115b79c0da',
      '529386ba-22bd-4ade-b430-69115b79c0da}', '(529386ba-22bd-4ade-b430-69115b79c0da)', '529386ba 22bd 4ade b430 69115b79c0da',
      '529386ba-22bd-4ade-b430-69115b79c0da\n0', 'urn:uuid:529386ba-22bd-4ade-b430-69115b79c0da', '529386ba-22bd-4ade-b430-69115b79-c0da',
    ];
    for (const value of invalid) {
      it(`refuses ${JSON.stringify(value)}`, () => {
        expect(() => guidToBytes(value)).to.throw(InvalidGuidError);
      });
    }

    it('refuses a value that is not a string', () => {
      expect(() => guidToBytes(42 as unknown as string)).to.throw(InvalidGuidError);
    });
  });

  describe('normalizeGuid and isCanonicalGuid', () => {
    it('lower-cases and strips braces', () => {
      expect(normalizeGuid('{ABCDEF01-2345-6789-ABCD-EF0123456789}')).to.equal('abcdef01-2345-6789-abcd-ef0123456789');
      expect(normalizeGuid('abcdef01-2345-6789-abcd-ef0123456789')).to.equal('abcdef01-2345-6789-abcd-ef0123456789');
    });

    it('tells the canonical form only', () => {
      expect(isCanonicalGuid('abcdef01-2345-6789-abcd-ef0123456789')).to.equal(true);
      expect(isCanonicalGuid('ABCDEF01-2345-6789-ABCD-EF0123456789')).to.equal(false);
      expect(isCanonicalGuid('{abcdef01-2345-6789-abcd-ef0123456789}')).to.equal(false);
      expect(isCanonicalGuid('abcdef0123456789abcdef0123456789')).to.equal(false);
    });
  });

  describe('guidFilterValue', () => {
    it('escapes every stored byte as \\xx, in stored order', () => {
      expect(guidFilterValue('f4c2ce4e-1f08-4358-abdc-fe3f035af4cd'))
        .to.equal('\\4e\\ce\\c2\\f4\\08\\1f\\58\\43\\ab\\dc\\fe\\3f\\03\\5a\\f4\\cd');
    });

    it('escapes the filter metacharacters and NUL like any other byte', () => {
      // Stored bytes 5c 28 2a 29 00 00 5c 5c 2a 2a 28 29 00 ff 80 c0: \ ( * ) NUL …
      expect(guidFilterValue('292a285c-0000-5c5c-2a2a-282900ff80c0'))
        .to.equal('\\5c\\28\\2a\\29\\00\\00\\5c\\5c\\2a\\2a\\28\\29\\00\\ff\\80\\c0');
    });

    it('takes the 16 bytes as well as the string', () => {
      expect(guidFilterValue(bytes(VECTORS[0]![0]))).to.equal(guidFilterValue(VECTORS[0]![1]));
    });

    it('refuses what is not a GUID', () => {
      expect(() => guidFilterValue('nope')).to.throw(InvalidGuidError);
      expect(() => guidFilterValue(Buffer.alloc(15))).to.throw(InvalidGuidError);
    });
  });

  describe('properties', () => {
    it('bytes → string → bytes is the identity', () => {
      fc.assert(fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (b) => {
        const s = guidToString(b);
        expect(isCanonicalGuid(s)).to.equal(true);
        expect(guidToBytes(s).equals(Buffer.from(b))).to.equal(true);
      }), { numRuns: 500 });
    });

    it('string → bytes → string is the identity (any case, braces)', () => {
      fc.assert(fc.property(fc.uuid(), fc.boolean(), fc.boolean(), (uuid, upper, braces) => {
        let input = upper ? uuid.toUpperCase() : uuid;
        if (braces) input = `{${input}}`;
        expect(guidToString(guidToBytes(input))).to.equal(uuid.toLowerCase());
      }), { numRuns: 500 });
    });

    it('the filter value is 48 characters of \\xx that decode to the stored bytes', () => {
      fc.assert(fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (b) => {
        const value = guidFilterValue(b);
        expect(value).to.match(/^(\\[0-9a-f]{2}){16}$/);
        expect(Buffer.from(value.replace(/\\/g, ''), 'hex').equals(Buffer.from(b))).to.equal(true);
      }), { numRuns: 300 });
    });
  });

  describe('parseGuidInto', () => {
    const bytesOf = (guid: string): number[] => {
      const into = new Uint8Array(16);
      expect(parseGuidInto(guid, into), guid).to.equal(true);
      return [...into];
    };

    it('reads a GUID in canonical text, in either case, as the bytes of its hex digits in order', () => {
      const guid = randomUUID();
      expect(bytesOf(guid)).to.deep.equal([...Buffer.from(guid.replace(/-/g, ''), 'hex')]);
      expect(bytesOf(guid.toUpperCase())).to.deep.equal(bytesOf(guid));
      expect(bytesOf('00112233-4455-6677-8899-AaBbCcDdEeFf')).to.deep.equal(
        [0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]);
    });

    it('refuses any other text', () => {
      const guid = '00112233-4455-6677-8899-aabbccddeeff';
      for (const text of [
        '', guid.slice(1), `${guid}0`, guid.replace(/-/g, ''), `{${guid.slice(1, -1)}}`,
        '001122334-455-6677-8899-aabbccddeeff', '00112233-4455-6677-8899_aabbccddeeff', '0011223g-4455-6677-8899-aabbccddeeff',
        '00112233-4455-6677-8899-aabbccddeef\u00e9', '00112233-4455-6677-8899-aabbccddee\u212a\u212a', ' 0112233-4455-6677-8899-aabbccddeeff',
      ]) {
        expect(parseGuidInto(text, new Uint8Array(16)), JSON.stringify(text)).to.equal(false);
      }
    });
  });
});
