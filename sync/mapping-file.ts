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
 * removes a default). An Enterprise User attribute may be written `enterprise.department` or with its
 * schema URN, `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department` (RFC 7644 §3.10
 * attribute notation); the URN is compared without regard to case, as SCIM compares schema URNs, and
 * becomes the shorthand. `groups` lists the group → role rules; a file without it has none.
 */
import Ajv, { type ErrorObject } from 'ajv';
import { ENTERPRISE_USER_SCHEMA_URN } from '../scim/schema/enterprise-user';

// The SCIM attributes the sync can fill from one AD attribute, by shape. The schema's pattern and the
// list an unknown path's error quotes are both made from these, so they cannot disagree.
const SINGLE_VALUED = ['userName', 'externalId', 'displayName', 'nickName', 'profileUrl', 'title', 'userType', 'preferredLanguage', 'locale', 'timezone'] as const;
const NAME_PARTS = ['formatted', 'familyName', 'givenName', 'middleName', 'honorificPrefix', 'honorificSuffix'] as const;
const ENTERPRISE_ATTRIBUTES = ['employeeNumber', 'costCenter', 'organization', 'division', 'department', 'manager'] as const;
/** Multi-valued attributes whose `value` the sync fills, one type at a time. */
const TYPED_VALUES = ['emails', 'phoneNumbers', 'ims', 'photos'] as const;
const ADDRESS_PARTS = ['formatted', 'streetAddress', 'locality', 'region', 'postalCode', 'country'] as const;
/** The type in `emails[type eq "work"].value`: work, home, mobile, … */
const TYPE_WORD = '[A-Za-z0-9_-]+';

/** Every path the file accepts, as the error for an unknown one lists them (`<type>` is work, home, mobile, …). */
export const MAPPABLE_PATHS: readonly string[] = Object.freeze([
  ...SINGLE_VALUED,
  ...NAME_PARTS.map((part) => `name.${part}`),
  ...ENTERPRISE_ATTRIBUTES.map((attribute) => `enterprise.${attribute}`),
  ...TYPED_VALUES.map((attribute) => `${attribute}[type eq "<type>"].value`),
  ...ADDRESS_PARTS.map((part) => `addresses[type eq "<type>"].${part}`),
]);

/** SCIM attribute paths the sync can fill from one AD attribute, in the shorthand the map uses. */
export const SCIM_PATH = new RegExp([
  `^(?:${SINGLE_VALUED.join('|')}`,
  `name\\.(?:${NAME_PARTS.join('|')})`,
  `enterprise\\.(?:${ENTERPRISE_ATTRIBUTES.join('|')})`,
  `(?:${TYPED_VALUES.join('|')})\\[type eq "${TYPE_WORD}"\\]\\.value`,
  `addresses\\[type eq "${TYPE_WORD}"\\]\\.(?:${ADDRESS_PARTS.join('|')}))$`,
].join('|'));

/** `urn:…:enterprise:2.0:User:` in any case (ajv patterns take no flags, so each letter is a class). */
const ENTERPRISE_URN_PREFIX = new RegExp(`^${escapeRegExp(`${ENTERPRISE_USER_SCHEMA_URN}:`)}`, 'i');
const ENTERPRISE_URN_PATH = `^${caseless(`${ENTERPRISE_USER_SCHEMA_URN}:`)}(?:${ENTERPRISE_ATTRIBUTES.join('|')})$`;

/** An LDAP attribute description: a name (letters, digits, hyphens) or a numeric OID. */
const AD_ATTRIBUTE = '^(?:[A-Za-z][A-Za-z0-9-]*|[0-9]+(?:\\.[0-9]+)+)$';
const GUID = '^\\{?[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\\}?$';
/** Loose DN shape: at least one `type=value` RDN. */
const DN = '^\\s*[A-Za-z0-9.-]+\\s*=\\s*\\S';

/**
 * The file once it passed the schema, normalised: Enterprise User URN keys in the `enterprise.` shorthand,
 * and `groups` present (empty when the file has none).
 */
export interface MappingFile {
  readonly attributes?: Readonly<Record<string, string | null>>;
  readonly groups: readonly MappingFileRule[];
}

/** The file as written, once it passed the schema. */
interface MappingFileText {
  readonly attributes?: Readonly<Record<string, string | null>>;
  readonly groups?: readonly MappingFileRule[];
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
      propertyNames: { pattern: `${SCIM_PATH.source}|${ENTERPRISE_URN_PATH}` },
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
  additionalProperties: false,
} as const;

const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
const validate = ajv.compile<MappingFileText>(MAPPING_FILE_SCHEMA);

/**
 * Parses and checks the mapping file's text and returns it normalised (see MappingFile). Throws an
 * Error listing every problem, each naming its key as written, e.g.
 * `Invalid sync mapping file: groups[1].role is required`.
 */
export function parseMappingFile(jsonText: string): MappingFile {
  let data: unknown;
  try {
    data = JSON.parse(jsonText);
  } catch (error) {
    throw new Error(`Invalid sync mapping file: not JSON (${(error as Error).message})`);
  }
  if (!validate(data)) {
    const errors = validate.errors ?? [];
    const messages = [...new Set(errors.map(describe).filter((m): m is string => m !== null))];
    if (errors.some(isUnknownPath)) messages.push(allowedPathsNote());
    throw new Error(`Invalid sync mapping file: ${messages.length > 0 ? messages.join('; ') : 'it does not match the schema'}`);
  }
  const { groups = [], attributes, ...rest } = data;
  return { ...rest, ...(attributes === undefined ? {} : { attributes: toShorthand(attributes) }), groups };
}

/** Enterprise User URN keys → `enterprise.<attribute>`, in file order; two keys naming one attribute are refused. */
function toShorthand(attributes: Readonly<Record<string, string | null>>): Record<string, string | null> {
  const result: Record<string, string | null> = {};
  const writtenAs = new Map<string, string>();
  const problems: string[] = [];
  for (const [key, adAttribute] of Object.entries(attributes)) {
    const path = key.replace(ENTERPRISE_URN_PREFIX, 'enterprise.');
    const earlier = writtenAs.get(path);
    if (earlier !== undefined) {
      problems.push(`attributes["${earlier}"] and attributes["${key}"] name the same attribute (${path}); keep one`);
      continue;
    }
    writtenAs.set(path, key);
    result[path] = adAttribute;
  }
  if (problems.length > 0) throw new Error(`Invalid sync mapping file: ${problems.join('; ')}`);
  return result;
}

/** A key of `attributes` that is no path the sync can map (ajv reports the propertyNames pattern on the name). */
function isUnknownPath(error: ErrorObject): boolean {
  return error.keyword === 'pattern' && error.propertyName !== undefined && error.propertyName !== 'active';
}

function allowedPathsNote(): string {
  return `the paths the sync can map are ${MAPPABLE_PATHS.join(', ')} (<type> is a word such as work, home or mobile; `
    + `enterprise.<attribute> may also be written ${ENTERPRISE_USER_SCHEMA_URN}:<attribute>)`;
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
    if (name === 'active') return 'attributes["active"] cannot be mapped: "active" comes from the account flags (userAccountControl, accountExpires)';
    return `attributes["${name}"] is not a SCIM attribute the sync can map`;
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

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A pattern matching `text` in any case: `User:` → `[Uu][Ss][Ee][Rr]:`. */
function caseless(text: string): string {
  return [...text].map((char) => {
    const lower = char.toLowerCase();
    const upper = char.toUpperCase();
    return lower === upper ? escapeRegExp(char) : `[${upper}${lower}]`;
  }).join('');
}
