import { channel } from 'node:diagnostics_channel';
import type { ConnectionOptions } from 'node:tls';
import { Client, type Change, type Control, type DN, type SaslMechanism, type SearchOptions, type SearchResult } from 'ldapts';

/** One LDAP operation as it ended: which, how, and how long it took. Never a DN, a filter or a value. */
export interface TimedLdapOperation {
  readonly operation: 'starttls' | 'bind' | 'search' | 'add' | 'modify' | 'modifydn' | 'delete' | 'compare' | 'exop' | 'unbind';
  readonly outcome: 'ok' | 'error';
  readonly seconds: number;
}

/**
 * Where finished LDAP operations are announced (node:diagnostics_channel): the LDAP code knows
 * nothing of metrics, and publishing costs nothing while no one subscribes (src/metrics does).
 */
export const ldapOperations = channel('scimd:ldap-operation');

async function timed<T>(operation: TimedLdapOperation['operation'], run: () => Promise<T>): Promise<T> {
  if (!ldapOperations.hasSubscribers) return run();
  const start = performance.now();
  let outcome: TimedLdapOperation['outcome'] = 'error';
  try {
    const result = await run();
    outcome = 'ok';
    return result;
  } finally {
    const message: TimedLdapOperation = { operation, outcome, seconds: (performance.now() - start) / 1000 };
    ldapOperations.publish(message);
  }
}

/**
 * The ldapts client with every operation timed. A subclass rather than a wrapper object, so that
 * whatever takes a `Client` takes it unchanged. A paged search is timed page by page: each page is
 * one request to the DC, which is what its latency is about.
 */
export class TimedLdapClient extends Client {
  override startTLS(options?: ConnectionOptions, controls?: Control | Control[]): Promise<void> {
    return timed('starttls', () => super.startTLS(options, controls));
  }

  override bind(dnOrSaslMechanism: DN | SaslMechanism | string, password?: string, controls?: Control | Control[]): Promise<void> {
    return timed('bind', () => super.bind(dnOrSaslMechanism, password, controls));
  }

  override search(baseDN: DN | string, options?: SearchOptions, controls?: Control | Control[]): Promise<SearchResult> {
    return timed('search', () => super.search(baseDN, options, controls));
  }

  override async *searchPaginated(baseDN: DN | string, options?: SearchOptions, controls?: Control | Control[]): AsyncGenerator<SearchResult> {
    const pages = super.searchPaginated(baseDN, options, controls);
    for (;;) {
      const page = await timed('search', () => pages.next());
      if (page.done === true) return;
      yield page.value;
    }
  }

  override add(dn: DN | string, attributes: Parameters<Client['add']>[1], controls?: Control | Control[]): Promise<void> {
    return timed('add', () => super.add(dn, attributes, controls));
  }

  override modify(dn: DN | string, changes: Change | Change[], controls?: Control | Control[]): Promise<void> {
    return timed('modify', () => super.modify(dn, changes, controls));
  }

  override modifyDN(dn: DN | string, newDN: DN | string, controls?: Control | Control[]): Promise<void> {
    return timed('modifydn', () => super.modifyDN(dn, newDN, controls));
  }

  override del(dn: DN | string, controls?: Control | Control[]): Promise<void> {
    return timed('delete', () => super.del(dn, controls));
  }

  override compare(dn: DN | string, attribute: string, value: string, controls?: Control | Control[]): Promise<boolean> {
    return timed('compare', () => super.compare(dn, attribute, value, controls));
  }

  override exop(oid: string, value?: Buffer | string, controls?: Control | Control[]): Promise<{ oid?: string; value?: string }> {
    return timed('exop', () => super.exop(oid, value, controls));
  }

  override unbind(): Promise<void> {
    return timed('unbind', () => super.unbind());
  }
}
