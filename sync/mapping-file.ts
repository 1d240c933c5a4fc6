/**
 * The sync mapping file (SYNC_MAPPING_FILE): its JSON Schema, checked with ajv, and ajv's errors
 * turned into messages that name the offending key the way the file spells it (`groups[2].role`).
 *
 * ```json
 * {
 *   "attributes": { "title": "extensionAttribute1", "phoneNumbers[type eq \"work\"].value": null },
 *   "groups": [
 *     { "group": { "guid": "0b1c…" }, "role": "Auditor" },
 *     { "group": { "dn": "CN=Helpdesk,OU=Groups,DC=corp,DC=example" }, "role": "Help Desk Administrator" },
 *     { "groupsUnder": "OU=Roles,DC=corp,DC=example", "createRoles": true }
 *   ]
 * }
 * ```
 * `attributes` overrides and extends the default attribute map (SCIM path → AD attribute; `null`
 * removes a default). `groups` lists the group → role rules (required, may be empty).
 */
import Ajv, { type ErrorObject } from 'ajv';

/** SCIM attribute paths the sync can fill from one AD attribute. */
export const SCIM_PATH = new RegExp([
  '^(?:userName|externalId|displayName|nickName|profileUrl|title|userType|preferredLanguage|locale|timezone',
  'name\\.(?:formatted|familyName|givenName|middleName|honorificPrefix|honorificSuffix)',
  'enterprise\\.(?:employeeNumber|costCenter|organization|division|department|manager)',
  '(?:emails|phoneNumbers|ims|photos)\\[type eq "[A-Za-z0-9_-]+"\\]\\.value',
  'addresses\\[type eq "[A-Za-z0-9_-]+"\\]\\.(?:formatted|streetAddress|locality|region|postalCode|country))$',
].join('|'));

/** An LDAP attribute description: a name (letters, digits, hyphens) or a numeric OID. */
const AD_ATTRIBUTE = '^(?:[A-Za-z][A-Za-z0-9-]*|[0-9]+(?:\\.[0-9]+)+)$';
const GUID = '^\\{?[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\\}?$';
/** Loose DN shape: at least one `type=value` RDN. */
const DN = '^\\s*[A-Za-z0-9.-]+\\s*=\\s*\\S';

/** What the file holds once it passed the schema. */
export interface MappingFile {
  readonly attributes?: Readonly<Record<string, string | null>>;
  readonly groups: readonly MappingFileRule[];
}

export interface MappingFileRule {
  readonly group?: { readonly guid?: string; readonly dn?: string };
  readonly role?: string;
  readonly groupsUnder?: string;
  readonly createRoles?: true;
}

export const MAPPING_FILE_SCHEMA = {
  type: 'object',
  properties: {
    $schema: { type: 'string' },
    description: { type: 'string' },
    attributes: {
      type: 'object',
      propertyNames: { pattern: SCIM_PATH.source },
      additionalProperties: { type: ['string', 'null'], pattern: AD_ATTRIBUTE },
    },
    groups: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          group: {
            type: 'object',
            properties: {
              guid: { type: 'string', pattern: GUID },
              dn: { type: 'string', pattern: DN },
            },
            additionalProperties: false,
            minProperties: 1,
            maxProperties: 1,
          },
          role: { type: 'string', maxLength: 255, pattern: '\\S' },
          groupsUnder: { type: 'string', pattern: DN },
          createRoles: { const: true },
        },
        additionalProperties: false,
        if: { required: ['groupsUnder'] },
        then: { properties: { group: false, role: false } },
        else: { required: ['group', 'role'], properties: { createRoles: false } },
      },
    },
  },
  required: ['groups'],
  additionalProperties: false,
} as const;

const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
const validate = ajv.compile<MappingFile>(MAPPING_FILE_SCHEMA);

/**
 * Parses and checks the mapping file's text. Throws an Error listing every problem, each naming
 * its key, e.g. `Invalid sync mapping file: groups[1].role is required`.
 */
export function parseMappingFile(jsonText: string): MappingFile {
  let data: unknown;
  try {
    data = JSON.parse(jsonText);
  } catch (error) {
    throw new Error(`Invalid sync mapping file: not JSON (${(error as Error).message})`);
  }
  if (validate(data)) return data;
  const messages = [...new Set((validate.errors ?? []).map(describe).filter((m): m is string => m !== null))];
  throw new Error(`Invalid sync mapping file: ${messages.length > 0 ? messages.join('; ') : 'it does not match the schema'}`);
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  'string,null': 'a string (an AD attribute name) or null',
  object: 'an object',
  array: 'an array',
};

function describe(error: ErrorObject): string | null {
  const segments = error.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const at = keyName(segments);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'if':
      return null; // the then/else branch reports the actual problem
    case 'required': {
      const missing = String(params['missingProperty']);
      return `${keyName([...segments, missing])} is required`;
    }
    case 'additionalProperties':
      return `${keyName([...segments, String(params['additionalProperty'])])} is not a known key`;
    case 'type': {
      const expected = Array.isArray(params['type']) ? params['type'].join(',') : String(params['type']);
      return `${at} must be ${TYPE_NAMES[expected] ?? expected}`;
    }
    case 'propertyNames':
      return null; // reported by the `pattern` error on the name, below
    case 'pattern':
      return patternMessage(segments, at, error);
    case 'maxLength':
      return `${at} is longer than ${String(params['limit'])} characters`;
    case 'minProperties':
    case 'maxProperties':
      return `${at} must have exactly one of "guid" or "dn"`;
    case 'const':
      return `${at} must be true (a groupsUnder rule always creates the roles it needs)`;
    case 'false schema':
      return error.schemaPath.includes('/then/')
        ? `${at} cannot be combined with "groupsUnder" in the same rule`
        : `${at} only belongs in a "groupsUnder" rule`;
    default:
      return `${at} ${error.message ?? `fails ${error.keyword}`}`;
  }
}

function patternMessage(segments: readonly string[], at: string, error: ErrorObject): string {
  const last = segments[segments.length - 1];
  if (error.propertyName !== undefined || (segments[0] === 'attributes' && segments.length === 1)) {
    const name = error.propertyName ?? '';
    return `attributes["${name}"] is not a SCIM attribute the sync can map (use userName, displayName, `
      + 'name.givenName, enterprise.department, emails[type eq "work"].value, … ; "active" comes from the account flags)';
  }
  if (segments[0] === 'attributes') return `${at} must be an AD attribute name such as "mail"`;
  if (last === 'guid') return `${at} must be an objectGUID such as "6f9619ff-8b86-d011-b42d-00c04fc964ff"`;
  if (last === 'dn' || last === 'groupsUnder') return `${at} must be a distinguished name such as "OU=Roles,DC=example,DC=com"`;
  if (last === 'role') return `${at} must not be blank`;
  return `${at} ${error.message ?? 'does not match its pattern'}`;
}

/** `["groups", "2", "group", "guid"]` → `groups[2].group.guid`; attribute map keys are quoted. */
function keyName(segments: readonly string[]): string {
  if (segments.length === 0) return 'the file';
  let name = '';
  for (const [index, segment] of segments.entries()) {
    if (/^\d+$/.test(segment) && index > 0) name += `[${segment}]`;
    else if (segments[0] === 'attributes' && index === 1) name += `["${segment}"]`;
    else name += name === '' ? segment : `.${segment}`;
  }
  return name;
}
