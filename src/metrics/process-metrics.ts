import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { ldapOperations, type TimedLdapOperation } from '../../sync/ldap/timed-client';

let shared: Registry | undefined;

/**
 * The metrics of the process rather than of one app: Node's and the process's own (prom-client's
 * defaults: CPU, memory, event loop lag, GC, handles) and the latency of every LDAP operation this
 * process makes (sync runs, whoever starts them). Built once per process, however many apps it
 * serves (tests build many): the default collectors install process-wide observers, and the LDAP
 * channel needs exactly one subscriber. Its own registry, never prom-client's global one.
 */
export function processRegistry(): Registry {
  if (shared) return shared;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const ldap = new Histogram({
    name: 'scimd_ldap_operation_duration_seconds',
    help: 'LDAP operations against the domain controller (each page of a paged search is one), by operation and outcome',
    labelNames: ['operation', 'outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  ldapOperations.subscribe((message) => {
    const { operation, outcome, seconds } = message as TimedLdapOperation;
    ldap.observe({ operation, outcome }, seconds);
  });
  shared = registry;
  return registry;
}
