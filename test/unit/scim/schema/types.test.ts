import { expect } from 'chai';
import { ResourceSchema, type ResourceTypeDefinition, type SchemaDefinition } from '../../../../scim/schema';
import { attribute } from '../../../../scim/schema/attribute';
import { isDateTime } from '../../../../scim/schema/json-schema';
import { expectScimError } from './helpers';

const DEVICE = 'urn:example:schemas:Device';
const TAGS = 'urn:example:schemas:extension:Tags';

const deviceSchema: SchemaDefinition = {
  id: DEVICE,
  name: 'Device',
  description: 'A test resource using every attribute type',
  attributes: [
    attribute('serial', 'string', 'Serial number', { required: true }),
    attribute('ports', 'integer', 'Number of ports'),
    attribute('weight', 'decimal', 'Weight in kg'),
    attribute('installed', 'dateTime', 'Installation time'),
    attribute('firmware', 'binary', 'Firmware image'),
    attribute('flags', 'boolean', 'Flags', { multiValued: true }),
  ],
};
const tagsSchema: SchemaDefinition = {
  id: TAGS,
  name: 'Tags',
  description: 'A required test extension',
  attributes: [attribute('tags', 'string', 'Tags', { multiValued: true })],
};
const deviceType: ResourceTypeDefinition = {
  id: 'Device',
  name: 'Device',
  endpoint: '/Devices',
  description: 'Test devices',
  schema: DEVICE,
  schemaExtensions: [{ schema: TAGS, required: true }],
};
const devices = new ResourceSchema(deviceType, [deviceSchema, tagsSchema]);
const device = (attributes: Record<string, unknown>): Record<string, unknown> => ({
  schemas: [DEVICE, TAGS],
  serial: 'S1',
  [TAGS]: { tags: ['a'] },
  ...attributes,
});

describe('type checks for every SCIM attribute type', () => {
  it('accepts well-typed values of every type', () => {
    const body = device({ ports: 8, weight: 1.5, installed: '2024-05-01T12:00:00Z', firmware: 'AAEC', flags: [true] });
    expect(devices.normalize(body, { mode: 'create' })).to.deep.equal(body);
  });

  const cases: { attributes: Record<string, unknown>; detail: string }[] = [
    { attributes: { ports: 1.5 }, detail: 'Attribute "ports" must be an integer' },
    { attributes: { ports: '8' }, detail: 'Attribute "ports" must be an integer' },
    { attributes: { weight: 'heavy' }, detail: 'Attribute "weight" must be a number' },
    { attributes: { installed: 'yesterday' }, detail: 'Attribute "installed" must be a dateTime such as "2024-05-01T12:00:00Z"' },
    { attributes: { installed: 1714564800 }, detail: 'Attribute "installed" must be a string' },
    { attributes: { firmware: [1, 2] }, detail: 'Attribute "firmware" must be a string' },
    { attributes: { flags: ['on'] }, detail: 'Each value of attribute "flags" must be a boolean' },
    { attributes: { [TAGS]: { tags: [1] } }, detail: `Each value of attribute "${TAGS}:tags" must be a string` },
    { attributes: { [TAGS]: null }, detail: `Attribute "${TAGS}" is required` },
  ];
  for (const { attributes, detail } of cases) {
    it(`rejects with invalidValue: ${detail}`, () => {
      expect(expectScimError(() => devices.normalize(device(attributes), { mode: 'create' }), 'invalidValue'))
        .to.equal(detail);
    });
  }

  it('coerces boolean strings inside multi-valued boolean attributes', () => {
    expect(devices.normalize(device({ flags: ['TRUE', 'false'] }), { mode: 'create' })['flags'])
      .to.deep.equal([true, false]);
  });

  it('refuses to build a resource schema whose schemas are missing', () => {
    expect(() => new ResourceSchema(deviceType, [deviceSchema])).to.throw(TAGS);
  });
});

describe('isDateTime', () => {
  for (const value of ['2024-05-01T12:00:00Z', '2024-05-01T12:00:00.123+02:00', '2024-05-01T12:00:00']) {
    it(`accepts ${value}`, () => expect(isDateTime(value)).to.equal(true));
  }
  for (const value of ['2024-05-01', '2024-13-01T12:00:00Z', 'May 1 2024', '2024-05-01 12:00:00Z']) {
    it(`rejects ${value}`, () => expect(isDateTime(value)).to.equal(false));
  }
});
