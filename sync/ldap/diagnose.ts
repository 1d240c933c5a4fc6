/**
 * The doctor's directory checks, in the order a sync run needs them: the network (reach-diagnose.ts),
 * then StartTLS and the bind through the sync's own openLdap, then what the sync reads: the
 * RootDSE's supportedControl (paged results, ranged retrieval, show deleted), users under each base
 * DN, groups, and the Deleted Objects container (delta runs see deletions there).
 * A check that cannot run because an earlier one failed is reported as skipped, naming that one.
 */
import { InsufficientAccessError, NoSuchObjectError, type Client } from 'ldapts';
import type { SyncConfig } from '../../src/config';
import { codeOf, fail, ok, reasonOf, skip, skipAfter, warn, withDeadline, type CheckResult } from '../../src/diagnosis';
import { LdapConfigError, LdapConnectError, openLdap, parseLdapUrl, validateLdapConnectionConfig, type LdapConnectionConfig } from './connection';
import { ShowDeletedControl } from './controls';
import { entryAttributes, firstString } from './entries';
import { checkDns, checkTcp, checkTls, DNS, TCP, TLS } from './reach-diagnose';
import { certificateProblem } from './tls-diagnose';

const CONFIG = 'directory.config';
const START_TLS = 'directory.starttls';
const BIND = 'directory.bind';
const CONTROLS = 'directory.controls';
const USERS = 'directory.users';
const GROUPS = 'directory.groups';
const DELETED = 'directory.deleted-objects';
const AFTER_BIND = [CONTROLS, USERS, GROUPS, DELETED];

/** Controls the sync uses, by the OIDs a DC lists in its RootDSE's supportedControl. */
const PAGED_RESULTS = '1.2.840.113556.1.4.319';
const RANGE_RETRIEVAL = '1.2.840.113556.1.4.802';

/** A bound connection the later checks (the mapping file's groups) read through; close() unbinds. */
export interface DirectorySession {
  readonly client: Client;
  /** The domain's naming context (`DC=example,DC=com`), from the RootDSE. */
  readonly namingContext: string | undefined;
  close(): Promise<void>;
}

export interface DirectoryDiagnosis {
  readonly results: readonly CheckResult[];
  /** Present when the bind worked. */
  readonly session?: DirectorySession;
}

/** The connection settings of a sync run, with every operation bounded by the doctor's deadline. */
export function doctorConnection(sync: SyncConfig, deadlineMs: number): LdapConnectionConfig {
  return {
    url: sync.ldap.url, bindDn: sync.ldap.bindDn, bindPassword: sync.ldap.bindPassword,
    startTls: sync.ldap.startTls, allowPlain: sync.ldap.allowPlain,
    ...(sync.ldap.caFile ? { caFile: sync.ldap.caFile } : {}),
    ...(sync.ldap.tlsServerName ? { servername: sync.ldap.tlsServerName } : {}),
    timeoutMs: deadlineMs, connectTimeoutMs: deadlineMs,
  };
}

export async function diagnoseDirectory(sync: SyncConfig, deadlineMs: number): Promise<DirectoryDiagnosis> {
  const config = doctorConnection(sync, deadlineMs);
  const tlsStep = config.startTls ? START_TLS : TLS;
  let endpoint: ReturnType<typeof parseLdapUrl>;
  try {
    validateLdapConnectionConfig(config);
    endpoint = parseLdapUrl(config.url);
  } catch (error) {
    if (!(error instanceof LdapConfigError)) throw error;
    return { results: [fail(CONFIG, error.message, 'correct LDAP_URL and the LDAP_* variables (docs/ad-sync.md, section 4)'),
      ...skipAfter(CONFIG, [DNS, TCP, tlsStep, BIND, ...AFTER_BIND])] };
  }
  const results: CheckResult[] = [];
  const dns = await checkDns(endpoint.host, deadlineMs);
  results.push(dns.result);
  if (dns.address === undefined) return { results: [...results, ...skipAfter(DNS, [TCP, tlsStep, BIND, ...AFTER_BIND])] };
  const tcp = await checkTcp(dns.address, endpoint.host, endpoint.port, deadlineMs);
  results.push(tcp);
  if (tcp.status === 'fail') return { results: [...results, ...skipAfter(TCP, [tlsStep, BIND, ...AFTER_BIND])] };
  if (endpoint.secure) {
    const handshake = await checkTls(config, dns.address, deadlineMs);
    results.push(handshake);
    if (handshake.status === 'fail') return { results: [...results, ...skipAfter(TLS, [BIND, ...AFTER_BIND])] };
  } else if (!config.startTls) {
    results.push(warn(TLS, `plain LDAP to ${endpoint.host}:${endpoint.port} (LDAP_ALLOW_PLAIN): the bind password crosses the network in clear`,
      'use ldaps:// (port 636) or LDAP_START_TLS=true'));
  }

  let client: Client;
  try {
    // Its own deadline covers the connect, StartTLS and the bind, each bounded by the client's timeouts too.
    client = await withDeadline('binding', deadlineMs * 2, () => openLdap(config));
  } catch (error) {
    return { results: [...results, ...bindFailure(error, config)] };
  }
  if (config.startTls) results.push(ok(START_TLS, `StartTLS upgraded the connection, verified for ${config.servername ?? endpoint.host}`));
  results.push(ok(BIND, `bound as ${config.bindDn}`));
  const close = async () => { await client.unbind().catch(() => undefined); };
  try {
    const root = await withDeadline('reading the RootDSE', deadlineMs, () => readRootDse(client));
    results.push(controlsFinding(root.controls));
    results.push(await finding(USERS, deadlineMs, () => checkUsers(client, sync)));
    results.push(await finding(GROUPS, deadlineMs, () => checkGroups(client, sync, root.namingContext)));
    results.push(await finding(DELETED, deadlineMs, () => checkDeletedObjects(client, root.namingContext, root.controls)));
    return { results, session: { client, namingContext: root.namingContext, close } };
  } catch (error) {
    await close();
    return { results: [...results, fail(CONTROLS, `cannot read the RootDSE: ${reasonOf(error)}`,
      'is LDAP_URL an Active Directory domain controller? The account must be able to read the RootDSE (anyone can on AD)'),
    ...skipAfter(CONTROLS, [USERS, GROUPS, DELETED])] };
  }
}

/** A StartTLS or bind failure as the checks it stopped. */
function bindFailure(error: unknown, config: LdapConnectionConfig): CheckResult[] {
  const stage = error instanceof LdapConnectError ? error.stage : 'connect';
  const detail = reasonOf(error);
  if (stage === 'startTls') {
    const { host } = parseLdapUrl(config.url);
    const problem = certificateProblem(codeOf(error) ?? 'unknown', undefined, {
      name: config.servername ?? host, trustedBy: config.caFile ? `LDAP_CA_FILE (${config.caFile})` : 'the system CA store',
    });
    const fix = problem.kind === 'other' ? 'check that the DC offers StartTLS on this port (389) and has a certificate' : problem.fix;
    return [fail(START_TLS, detail, fix), ...skipAfter(START_TLS, [BIND, ...AFTER_BIND])];
  }
  return [
    ...(config.startTls && stage === 'bind' ? [ok(START_TLS, 'StartTLS upgraded the connection')] : []),
    fail(BIND, detail, stage === 'bind' ? bindFix(detail) : 'the DC accepted the connection but not the LDAP session: check LDAP_URL\'s '
      + 'scheme and port (ldaps:// on 636, ldap:// with LDAP_START_TLS=true on 389)'),
    ...skipAfter(BIND, AFTER_BIND),
  ];
}

/** AD's bind sub-code (`data 52e`, which connection.ts puts into words) → what to change. */
function bindFix(detail: string): string {
  if (/invalid credentials|\b52e\b/i.test(detail)) {
    return 'LDAP_BIND_PASSWORD (or the file LDAP_BIND_PASSWORD_FILE names) is not the password of LDAP_BIND_DN: set the account\'s current password';
  }
  if (/user not found|\b525\b/i.test(detail)) return 'LDAP_BIND_DN names no account: give the sync account\'s full DN (CN=svc-scimd,OU=…,DC=…)';
  if (/disabled|expired|reset password|locked out/i.test(detail)) return 'the sync account cannot log on now: enable or unlock it, or set a new password, in AD';
  return 'check LDAP_BIND_DN and LDAP_BIND_PASSWORD: the DC refused the bind';
}

interface RootDse {
  readonly controls: ReadonlySet<string>;
  readonly namingContext: string | undefined;
}

async function readRootDse(client: Client): Promise<RootDse> {
  const { searchEntries } = await client.search('', {
    scope: 'base', filter: '(objectClass=*)', attributes: ['supportedControl', 'defaultNamingContext'],
  });
  const root = searchEntries[0];
  if (!root) throw new Error('the server returned no RootDSE');
  const attrs = entryAttributes(root);
  const controls = (attrs.get('supportedcontrol') ?? []).map((value) => (Buffer.isBuffer(value) ? value.toString('utf8') : value));
  return { controls: new Set(controls), namingContext: firstString(attrs, 'defaultNamingContext') };
}

function controlsFinding(controls: ReadonlySet<string>): CheckResult {
  if (!controls.has(PAGED_RESULTS)) {
    return fail(CONTROLS, `the DC does not list the paged results control (${PAGED_RESULTS}) in supportedControl`,
      'point LDAP_URL at an Active Directory domain controller: the sync reads every search in pages');
  }
  const showDeleted = controls.has(ShowDeletedControl.type) ? `, show deleted (${ShowDeletedControl.type})` : '';
  if (!controls.has(RANGE_RETRIEVAL)) {
    return warn(CONTROLS, `paged results (${PAGED_RESULTS})${showDeleted} supported; ranged retrieval (${RANGE_RETRIEVAL}) not listed`,
      'a server without ranged retrieval must return a group\'s members whole (Samba does; AD lists the control): '
      + 'check that the members of a group over 1,500 members all arrive in a dry run');
  }
  return ok(CONTROLS, `paged results (${PAGED_RESULTS}), ranged retrieval (${RANGE_RETRIEVAL})${showDeleted} supported`);
}

/** Runs a check bounded by the deadline; an error is that check's failure. */
async function finding(id: string, deadlineMs: number, check: () => Promise<CheckResult>): Promise<CheckResult> {
  try {
    return await withDeadline(id, deadlineMs, check);
  } catch (error) {
    return fail(id, reasonOf(error), 'see the detail; the sync account needs read access (docs/ad-sync.md, section 1)');
  }
}

/** One matching entry under `base`, or none; sizeLimit 1 keeps it one entry however large the OU. */
async function anyEntry(client: Client, base: string, filter: string, controls?: ShowDeletedControl[]): Promise<string | undefined> {
  const { searchEntries } = await client.search(base, { scope: 'sub', filter, attributes: ['objectGUID'], sizeLimit: 1 }, controls);
  return searchEntries[0]?.dn;
}

async function checkUsers(client: Client, sync: SyncConfig): Promise<CheckResult> {
  const missing: string[] = [];
  const empty: string[] = [];
  for (const base of sync.baseDns) {
    try {
      if ((await anyEntry(client, base, sync.userFilter)) === undefined) empty.push(base);
    } catch (error) {
      if (!(error instanceof NoSuchObjectError || error instanceof InsufficientAccessError)) throw error;
      missing.push(base);
    }
  }
  if (missing.length > 0) {
    return fail(USERS, `SYNC_BASE_DNS: ${missing.join('; ')} does not exist, or the sync account cannot see it`,
      'correct SYNC_BASE_DNS (the OUs\' distinguished names, separated by ";"), or give the account read access to them');
  }
  if (empty.length > 0) {
    return warn(USERS, `no user matches SYNC_USER_FILTER under ${empty.join('; ')}`,
      'check SYNC_USER_FILTER and SYNC_BASE_DNS, and that the sync account may read the users there (Authenticated Users may by default)');
  }
  return ok(USERS, `users readable under ${sync.baseDns.join('; ')}`);
}

async function checkGroups(client: Client, sync: SyncConfig, namingContext: string | undefined): Promise<CheckResult> {
  const base = namingContext ?? sync.baseDns[0] ?? '';
  if ((await anyEntry(client, base, sync.groupFilter)) === undefined) {
    return warn(GROUPS, `no group matches SYNC_GROUP_FILTER under ${base}`,
      'check SYNC_GROUP_FILTER, and that the sync account may read groups (Authenticated Users may by default)');
  }
  return ok(GROUPS, `groups readable under ${base}`);
}

async function checkDeletedObjects(client: Client, namingContext: string | undefined, controls: ReadonlySet<string>): Promise<CheckResult> {
  if (namingContext === undefined) return skip(DELETED, 'the RootDSE names no defaultNamingContext');
  const container = `CN=Deleted Objects,${namingContext}`;
  const grant = `grant the sync account List Contents and Read Property on ${container} (dsacls, docs/ad-sync.md, section 1); `
    + 'until then delta runs miss deletions and the nightly full run finds them';
  if (!controls.has(ShowDeletedControl.type)) {
    return warn(DELETED, `the DC does not list the show deleted control (${ShowDeletedControl.type})`, 'delta runs cannot see deletions; '
      + 'the nightly full run finds them');
  }
  try {
    const { searchEntries } = await client.search(container, {
      scope: 'base', filter: '(objectClass=*)', attributes: ['objectGUID'],
    }, [new ShowDeletedControl()]);
    if (searchEntries.length === 0) return warn(DELETED, `${container} is not visible to the sync account`, grant);
    return ok(DELETED, `${container} readable with the show deleted control`);
  } catch (error) {
    if (error instanceof NoSuchObjectError || error instanceof InsufficientAccessError) {
      return warn(DELETED, `${container} is not visible to the sync account (${reasonOf(error)})`, grant);
    }
    throw error;
  }
}
