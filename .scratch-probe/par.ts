// Scratch (not committed): can Samba serve a group's member ranges on a second connection while a paged user search runs?
import { readFileSync } from 'node:fs';
import { Client } from 'ldapts';
import { benchDirectory, defaultCacheRoot } from '../bench/sync/directory';

async function main(): Promise<void> {
  const users = Number(process.argv[2] ?? 100000);
  const { dc } = await benchDirectory(users, defaultCacheRoot(), (m) => console.error(m));
  const connect = async (): Promise<Client> => {
    const c = new Client({ url: dc.url, tlsOptions: { ca: [readFileSync(dc.caFile)], servername: dc.servername } });
    await c.bind(dc.bindDn, dc.bindPassword);
    return c;
  };
  try {
    const a = await connect();
    const b = await connect();
    const { searchEntries } = await b.search(dc.baseDn, { scope: 'sub', filter: '(cn=Bench Everyone)', attributes: ['distinguishedName'] });
    const groupDn = searchEntries[0]!.dn;
    const userSearch = async (c: Client): Promise<string> => {
      const t0 = performance.now(); let first = 0; let n = 0;
      for await (const page of c.searchPaginated(dc.baseDn, { scope: 'sub', filter: '(&(objectCategory=person)(objectClass=user))', attributes: ['objectGUID', 'sAMAccountName', 'userPrincipalName', 'givenName', 'sn', 'mail', 'title', 'manager', 'memberOf', 'userAccountControl', 'displayName'], paged: { pageSize: 1000 } })) {
        if (first === 0) first = performance.now() - t0;
        n += page.searchEntries.length;
      }
      return `users ${n} first page ${(first / 1000).toFixed(2)} s, all ${((performance.now() - t0) / 1000).toFixed(2)} s`;
    };
    const memberRead = async (c: Client): Promise<string> => {
      const t0 = performance.now(); let n = 0;
      for (let start = 0; ; start += 1500) {
        const { searchEntries: e } = await c.search(groupDn, { scope: 'base', attributes: [`member;range=${start}-${start + 1499}`] });
        const entry = e[0]!;
        const key = Object.keys(entry).find((k) => k.toLowerCase().startsWith('member;range='))!;
        const values = entry[key] as string[];
        n += values.length;
        if (key.endsWith('-*')) break;
      }
      return `members ${n} in ${((performance.now() - t0) / 1000).toFixed(2)} s`;
    };
    for (let round = 0; round < 2; round += 1) {
      console.log('alone:', await userSearch(a));
      console.log('alone:', await memberRead(b));
      const [u, m] = await Promise.all([userSearch(a), memberRead(b)]);
      console.log('together:', u, '|', m);
      const [u2, m2] = await Promise.all([userSearch(a), memberRead(a)]);
      console.log('together, one connection:', u2, '|', m2);
    }
    await a.unbind(); await b.unbind();
  } finally {
    await dc.cleanup();
  }
}
void main();
