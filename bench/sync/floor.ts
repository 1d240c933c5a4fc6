import { spawn } from 'node:child_process';
import { openLdap, type LdapConnectionConfig } from '../../sync/ldap/connection';
import { bufferAttributesFor } from '../../sync/ldap/entries';

/**
 * The floor of a full sync: reading the same users with the same attributes and nothing else.
 * - ldapts `searchPaginated` (the library the sync uses), page 1000 (AD's MaxPageSize), entries
 *   counted and dropped; objectGUID asked as a Buffer, as the sync does.
 * - `ldapsearch` (OpenLDAP's C client) with the paged-results control, output parsed only to count.
 */
export interface ReadResult {
  readonly entries: number;
  readonly seconds: number;
}

export interface ReadSpec {
  readonly baseDn: string;
  readonly filter: string;
  readonly attributes: readonly string[];
}

export async function ldaptsRead(connection: LdapConnectionConfig, spec: ReadSpec, pageSize: number): Promise<ReadResult> {
  const client = await openLdap(connection);
  try {
    const started = performance.now();
    let entries = 0;
    const pages = client.searchPaginated(spec.baseDn, {
      scope: 'sub', filter: spec.filter, attributes: [...spec.attributes],
      explicitBufferAttributes: bufferAttributesFor(spec.attributes), paged: { pageSize },
      // No time limit (ldapts asks for 10 s by default, like ldapsearch's none): Samba computes the whole result
      // before the first page, which at 100,000 users on a busy 2-core machine takes 12-30 s.
      timeLimit: 0,
    });
    for await (const page of pages) entries += page.searchEntries.length;
    return { entries, seconds: (performance.now() - started) / 1000 };
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

/**
 * ldapsearch over LDAPS with the DC's CA. OpenLDAP's client has no "verify for this other name"
 * option and the DC's certificate names DC1.example.test, not the loopback address, so this one
 * read runs with LDAPTLS_REQCERT=allow (encrypted, the certificate not checked against the name).
 * The password is passed in a file (-y), never on the command line.
 */
export async function ldapsearchRead(
  connection: LdapConnectionConfig & { readonly passwordFile: string }, spec: ReadSpec, pageSize: number,
): Promise<ReadResult> {
  const args = ['-H', connection.url, '-x', '-D', connection.bindDn, '-y', connection.passwordFile, '-b', spec.baseDn,
    '-s', 'sub', '-E', `pr=${pageSize}/noprompt`, '-o', 'ldif-wrap=no', '-LLL', spec.filter, ...spec.attributes];
  const env = { ...process.env, LDAPTLS_REQCERT: 'allow', ...(connection.caFile ? { LDAPTLS_CACERT: connection.caFile } : {}) };
  const started = performance.now();
  return new Promise<ReadResult>((resolve, reject) => {
    const child = spawn('ldapsearch', args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let entries = 0;
    let carry = '';
    let errors = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const text = carry + chunk;
      const lines = text.split('\n');
      carry = lines.pop() ?? '';
      for (const line of lines) if (line.startsWith('dn: ')) entries += 1;
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => { errors += chunk; });
    child.on('error', reject);
    child.on('close', (code) => {
      if (carry.startsWith('dn: ')) entries += 1;
      if (code !== 0) reject(new Error(`ldapsearch exited ${code}: ${errors.trim().slice(0, 500)}`));
      else resolve({ entries, seconds: (performance.now() - started) / 1000 });
    });
  });
}
