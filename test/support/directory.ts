import { randomBytes } from 'node:crypto';
import { Attribute, Change, Client } from 'ldapts';
import { dateToAccountExpires, UAC_NORMAL_DISABLED, UAC_NORMAL_ENABLED } from '../../sync/ldap/account-control';
import type { SyncConfig } from '../../src/config';
import { openLdap, type LdapConnectionConfig } from '../../sync/ldap/connection';
import { TreeDeleteControl } from '../../sync/ldap/controls';
import { guidToString } from '../../sync/ldap/guid';

/**
 * The test directory: a throw-away Samba AD DC that `npm test` provisions (scripts/lib/ensure-samba.mjs) and
 * describes to mocha in TEST_LDAP_* variables. Helpers here shape it as Administrator over verified LDAPS.
 * Every suite works in its own OU (`createSuiteOu`), so suites never see each other's objects.
 */
export interface TestDirectoryEnv {
  readonly url: string;
  readonly caFile: string | undefined;
  readonly servername: string | undefined;
  readonly bindDn: string;
  readonly bindPassword: string;
  readonly baseDn: string;
  /** The directory is discarded after the run (`npm test`'s own DC): suites leave their OUs behind. */
  readonly throwaway: boolean;
}

export function testDirectoryEnv(): TestDirectoryEnv {
  const env = process.env;
  if (!env.TEST_LDAP_URL || !env.TEST_LDAP_BIND_DN || !env.TEST_LDAP_BIND_PASSWORD || !env.TEST_LDAP_BASE_DN) {
    throw new Error('TEST_LDAP_URL/TEST_LDAP_BIND_DN/TEST_LDAP_BIND_PASSWORD/TEST_LDAP_BASE_DN are not set: the directory-sync '
      + 'tests need the test Samba AD DC that `npm test` starts (it was skipped if SKIP_SAMBA is set). See docs/testing.md.');
  }
  return {
    url: env.TEST_LDAP_URL,
    caFile: env.TEST_LDAP_CA_FILE || undefined,
    servername: env.TEST_LDAP_SERVERNAME || undefined,
    bindDn: env.TEST_LDAP_BIND_DN,
    bindPassword: env.TEST_LDAP_BIND_PASSWORD,
    baseDn: env.TEST_LDAP_BASE_DN,
    throwaway: env.TEST_LDAP_THROWAWAY === '1',
  };
}

/** A connection config for the test directory as Administrator (verified LDAPS), with overrides. */
export function testConnectionConfig(overrides: Partial<LdapConnectionConfig> = {}): LdapConnectionConfig {
  const env = testDirectoryEnv();
  return {
    url: env.url,
    bindDn: env.bindDn,
    bindPassword: env.bindPassword,
    ...(env.caFile ? { caFile: env.caFile } : {}),
    ...(env.servername ? { servername: env.servername } : {}),
    ...overrides,
  };
}

/** The `ldap` block of a sync configuration that reads the test directory (verified LDAPS, as Administrator). */
export function testSyncLdapConfig(): SyncConfig['ldap'] {
  const ldap = testConnectionConfig();
  return {
    url: ldap.url, bindDn: ldap.bindDn, bindPassword: ldap.bindPassword, startTls: false, allowPlain: false,
    ...(ldap.caFile ? { caFile: ldap.caFile } : {}), ...(ldap.servername ? { tlsServerName: ldap.servername } : {}),
  };
}

/** A user to create. `cn` defaults to sAMAccountName; `enabled` (default true) gives userAccountControl 512/514. */
export interface TestUser {
  readonly sAMAccountName: string;
  readonly cn?: string;
  readonly userPrincipalName?: string;
  readonly givenName?: string;
  readonly sn?: string;
  readonly displayName?: string;
  readonly mail?: string;
  readonly title?: string;
  readonly department?: string;
  readonly employeeID?: string;
  readonly telephoneNumber?: string;
  /** The manager's DN. */
  readonly manager?: string;
  readonly enabled?: boolean;
  /** Overrides `enabled`. */
  readonly userAccountControl?: number;
  readonly accountExpires?: Date | 'never';
  /** Any other attributes. */
  readonly extra?: Readonly<Record<string, string | readonly string[]>>;
}

/** A change for `modify`: a value or values replace the attribute; null removes it. */
export type TestChanges = Readonly<Record<string, string | readonly string[] | null>>;

/** Escapes an RDN value (RFC 4514): `,+"\<>;=`, a leading `#` or space, a trailing space. */
export function escapeRdnValue(value: string): string {
  let out = value.replace(/[,+"\\<>;=]/g, (c) => `\\${c}`);
  if (out.startsWith('#') || out.startsWith(' ')) out = `\\${out}`;
  if (out.endsWith(' ') && out.length > 1) out = `${out.slice(0, -1)}\\ `;
  return out;
}

export const GLOBAL_SECURITY_GROUP = '-2147483646'; // 0x80000002: global scope, security enabled

/** Runs `fn` over `items` with at most `limit` in flight (pipelined on one connection). */
async function inParallel<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export class TestDirectory {
  private readonly suiteOus: string[] = [];

  private constructor(readonly client: Client, readonly baseDn: string, private readonly throwaway: boolean) {}

  /** Binds as Administrator over verified LDAPS. */
  static async open(): Promise<TestDirectory> {
    const env = testDirectoryEnv();
    return new TestDirectory(await openLdap(testConnectionConfig()), env.baseDn, env.throwaway);
  }

  /** The DNS domain (`example.test`), for userPrincipalName and mail. */
  get dnsDomain(): string {
    return this.baseDn.split(',').map((part) => part.replace(/^DC=/i, '')).join('.').toLowerCase();
  }

  /**
   * A fresh OU directly under the base DN, named `<label>-<unique>`. `close()` removes it with its content,
   * unless the directory is `npm test`'s throw-away DC (TEST_LDAP_THROWAWAY=1), which goes away as a whole.
   */
  async createSuiteOu(label: string): Promise<string> {
    const name = `${label}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
    const dn = await this.createOu(name, this.baseDn);
    this.suiteOus.push(dn);
    return dn;
  }

  async createOu(name: string, parentDn: string): Promise<string> {
    const dn = `OU=${escapeRdnValue(name)},${parentDn}`;
    await this.client.add(dn, { objectClass: ['top', 'organizationalUnit'], ou: name });
    return dn;
  }

  /** Creates a user (no password: Samba accepts an enabled account without one) and returns its DN. */
  async createUser(parentDn: string, user: TestUser): Promise<string> {
    const cn = user.cn ?? user.sAMAccountName;
    const dn = `CN=${escapeRdnValue(cn)},${parentDn}`;
    const uac = user.userAccountControl ?? (user.enabled === false ? UAC_NORMAL_DISABLED : UAC_NORMAL_ENABLED);
    const attributes: Record<string, string | string[]> = {
      objectClass: ['top', 'person', 'organizationalPerson', 'user'],
      cn,
      sAMAccountName: user.sAMAccountName,
      userAccountControl: String(uac),
    };
    const optional = ['userPrincipalName', 'givenName', 'sn', 'displayName', 'mail', 'title', 'department', 'employeeID',
      'telephoneNumber', 'manager'] as const;
    for (const name of optional) {
      const value = user[name];
      if (value != null) attributes[name] = value;
    }
    if (user.accountExpires != null) attributes.accountExpires = dateToAccountExpires(user.accountExpires);
    for (const [name, value] of Object.entries(user.extra ?? {})) attributes[name] = typeof value === 'string' ? value : [...value];
    await this.client.add(dn, attributes);
    return dn;
  }

  /**
   * Creates `count` users fast: adds pipelined on the connection (`concurrency` in flight). `make(i)` describes
   * user i; by default `<prefix><i>` with names, mail and UPN filled in. Returns the DNs in order.
   */
  async createUsers(parentDn: string, count: number, make?: (i: number) => TestUser, { concurrency = 32 } = {}): Promise<string[]> {
    const describe = make ?? ((i: number) => this.sampleUser(`u${String(i).padStart(5, '0')}`));
    return inParallel(Array.from({ length: count }, (_, i) => i), concurrency, (i) => this.createUser(parentDn, describe(i)));
  }

  /** A user with every commonly mapped attribute set, derived from one name. */
  sampleUser(name: string, overrides: Partial<TestUser> = {}): TestUser {
    return {
      sAMAccountName: name,
      userPrincipalName: `${name}@${this.dnsDomain}`,
      givenName: `Given ${name}`,
      sn: `Sur ${name}`,
      displayName: `Given ${name} Sur ${name}`,
      mail: `${name}@${this.dnsDomain}`,
      ...overrides,
    };
  }

  /** Creates a global security group (sAMAccountName = name), optionally with members (added in batches). */
  async createGroup(parentDn: string, name: string, { members = [], description }: { members?: readonly string[]; description?: string } = {}): Promise<string> {
    const dn = `CN=${escapeRdnValue(name)},${parentDn}`;
    const attributes: Record<string, string | string[]> = {
      objectClass: ['top', 'group'],
      cn: name,
      sAMAccountName: name,
      groupType: GLOBAL_SECURITY_GROUP,
    };
    if (description) attributes.description = description;
    await this.client.add(dn, attributes);
    if (members.length > 0) await this.addMembers(dn, members);
    return dn;
  }

  /** Adds members by DN, `batchSize` values per modify (AD limits the values one modify may add). */
  async addMembers(groupDn: string, memberDns: readonly string[], { batchSize = 1000 } = {}): Promise<void> {
    for (let i = 0; i < memberDns.length; i += batchSize) {
      const values = memberDns.slice(i, i + batchSize);
      await this.client.modify(groupDn, new Change({ operation: 'add', modification: new Attribute({ type: 'member', values: [...values] }) }));
    }
  }

  async removeMembers(groupDn: string, memberDns: readonly string[], { batchSize = 1000 } = {}): Promise<void> {
    for (let i = 0; i < memberDns.length; i += batchSize) {
      const values = memberDns.slice(i, i + batchSize);
      await this.client.modify(groupDn, new Change({ operation: 'delete', modification: new Attribute({ type: 'member', values: [...values] }) }));
    }
  }

  /** Replaces attributes (null removes one). */
  async modify(dn: string, changes: TestChanges): Promise<void> {
    const list = Object.entries(changes).map(([type, value]) => (value == null
      ? new Change({ operation: 'replace', modification: new Attribute({ type, values: [] }) })
      : new Change({ operation: 'replace', modification: new Attribute({ type, values: typeof value === 'string' ? [value] : [...value] }) })));
    await this.client.modify(dn, list);
  }

  /** Enables or disables a user (userAccountControl 512 / 514). */
  async setEnabled(dn: string, enabled: boolean): Promise<void> {
    await this.modify(dn, { userAccountControl: String(enabled ? UAC_NORMAL_ENABLED : UAC_NORMAL_DISABLED) });
  }

  /** Moves (and optionally renames) an entry; returns its new DN. */
  async move(dn: string, newParentDn: string, newRdn?: string): Promise<string> {
    const rdn = newRdn ?? firstRdn(dn);
    const newDn = `${rdn},${newParentDn}`;
    await this.client.modifyDN(dn, newDn);
    return newDn;
  }

  async delete(dn: string): Promise<void> {
    await this.client.del(dn);
  }

  /** Deletes an entry and everything under it (tree-delete control). */
  async deleteTree(dn: string): Promise<void> {
    await this.client.del(dn, new TreeDeleteControl());
  }

  /** The objectGUID (canonical string) of an entry. */
  async guidOf(dn: string): Promise<string> {
    const { searchEntries } = await this.client.search(dn, {
      scope: 'base', filter: '(objectClass=*)', attributes: ['objectGUID'], explicitBufferAttributes: ['objectGUID'],
    });
    const value = searchEntries[0]?.objectGUID;
    if (!Buffer.isBuffer(value)) throw new Error(`no objectGUID on ${dn}`);
    return guidToString(value);
  }

  /** An entry's attributes (as ldapts returns them), or null when it does not exist. */
  async read(dn: string, attributes: string[] = ['*']): Promise<Record<string, unknown> | null> {
    try {
      const { searchEntries } = await this.client.search(dn, { scope: 'base', filter: '(objectClass=*)', attributes });
      return searchEntries[0] ?? null;
    } catch (error) {
      if ((error as { code?: unknown }).code === 32) return null;
      throw error;
    }
  }

  /** Removes the suite OUs this instance created (not on a throw-away directory), then unbinds. */
  async close({ removeSuiteOus = !this.throwaway } = {}): Promise<void> {
    try {
      const created = this.suiteOus.splice(0).reverse();
      if (removeSuiteOus) for (const dn of created) await this.deleteTree(dn).catch(() => undefined);
    } finally {
      await this.client.unbind().catch(() => undefined);
    }
  }
}

/** The first RDN of a DN (`CN=a\,b` of `CN=a\,b,OU=x,…`), escapes kept. */
export function firstRdn(dn: string): string {
  const match = /^((?:[^,\\]|\\.)*)/.exec(dn);
  return match?.[1] ?? dn;
}
