import { expect } from 'chai';
import { explain, runScimd, startServe, type EnvOverrides, type ServeProcess } from './processes';

/**
 * The scale-out suite's cluster: `npm run test:cluster` starts a three-node MariaDB Galera cluster
 * (scripts/lib/galera-cluster.mjs) and passes one database URL per node in TEST_CLUSTER_URLS.
 * Replica i of a test writes through node i, as replicas behind a load balancer would.
 */
export function clusterUrls(): string[] {
  const urls = (process.env.TEST_CLUSTER_URLS ?? '').split(' ').filter((url) => url !== '');
  if (urls.length < 3) {
    throw new Error('TEST_CLUSTER_URLS is not set: the cluster suite runs through `npm run test:cluster`, which starts '
      + 'the Galera cluster (see docs/testing.md)');
  }
  return urls;
}

/** Applies the migrations through `node` (the schema replicates to the others) and creates a token of `role`. */
export async function prepareCluster(node: string, account: string, role: string): Promise<string> {
  const migrated = await runScimd(['migrate'], { env: { DATABASE_URL: node } });
  expect(migrated.code, explain(migrated)).to.equal(0);
  const created = await runScimd(['service-account', 'create', account, '--role', role, '--json'], { env: { DATABASE_URL: node } });
  expect(created.code, explain(created)).to.equal(0);
  return (JSON.parse(created.stdout) as { token: string }).token;
}

/** `scimd serve` on `node`, ready; migrations were applied by prepareCluster. */
export function startReplica(node: string, env: EnvOverrides = {}): Promise<ServeProcess> {
  return startServe({ env: { DATABASE_URL: node, MIGRATE_ON_START: 'false', LOG_LEVEL: 'info', ...env } });
}

export { eventually } from './eventually';
