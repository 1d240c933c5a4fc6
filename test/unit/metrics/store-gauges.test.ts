import { expect } from 'chai';
import { Registry } from 'prom-client';
import { registerStoreGauges, type StoreFigures } from '../../../src/metrics/store-gauges';

const NOW = new Date('2026-12-05T08:00:00.000Z');

async function values(registry: Registry): Promise<Record<string, number | undefined>> {
  const metrics = await registry.getMetricsAsJSON();
  return Object.fromEntries(metrics.map((metric) => [metric.name, metric.values[0]?.value]));
}

function registryReading(read: () => Promise<StoreFigures>, deadlineMs = 1000): Registry {
  const registry = new Registry();
  registerStoreGauges(registry, { read, now: () => NOW, deadlineMs });
  return registry;
}

describe('registerStoreGauges()', () => {
  it('sets the gauges from one read of the database', async () => {
    let reads = 0;
    const registry = registryReading(async () => {
      reads += 1;
      return { pendingChangeRequests: 2, pendingMail: 7, lastSyncSuccessAt: new Date('2026-12-05T07:30:00.000Z') };
    });
    expect(await values(registry)).to.deep.equal({
      scimd_metrics_database_up: 1, scimd_change_requests_pending: 2, scimd_mail_outbox_pending: 7, scimd_sync_seconds_since_last_success: 1800,
    });
    expect(reads, 'one read for the four gauges').to.equal(1);
  });

  it('reads +Inf seconds since the last success before any run has succeeded', async () => {
    const registry = registryReading(async () => ({ pendingChangeRequests: 0, pendingMail: 0, lastSyncSuccessAt: undefined }));
    expect((await values(registry)).scimd_sync_seconds_since_last_success).to.equal(Number.POSITIVE_INFINITY);
  });

  it('shares one read between concurrent scrapes and reads again for the next', async () => {
    let reads = 0;
    const registry = registryReading(async () => {
      reads += 1;
      return { pendingChangeRequests: reads, pendingMail: 0, lastSyncSuccessAt: undefined };
    });
    await Promise.all([registry.metrics(), registry.metrics()]);
    expect(reads).to.equal(1);
    expect((await values(registry)).scimd_change_requests_pending).to.equal(2);
  });

  it('gives up on a database that does not answer by the deadline: NaN, and database_up 0', async () => {
    const registry = registryReading(() => new Promise<never>(() => undefined), 5);
    const read = await values(registry);
    expect(read.scimd_metrics_database_up).to.equal(0);
    for (const name of ['scimd_change_requests_pending', 'scimd_mail_outbox_pending', 'scimd_sync_seconds_since_last_success']) {
      expect(read[name], name).to.be.NaN;
    }
  });

  it('reads NaN and database_up 0 when the read fails', async () => {
    const registry = registryReading(() => Promise.reject(new Error('connect ECONNREFUSED')));
    const read = await values(registry);
    expect(read.scimd_metrics_database_up).to.equal(0);
    expect(read.scimd_mail_outbox_pending).to.be.NaN;
  });
});
