import { createServer, type Server } from 'node:http';
import type { DataSource } from 'typeorm';
import { createApp } from './app';
import type { Config } from './config';
import { describeDatabase } from './db/data-source';
import { startAuditSealSweep } from './governance/audit-seal';
import { startMailDelivery } from './governance/outbox';
import type { Lifecycle } from './http/health';
import type { Logger } from './logger';
import { AppMetrics } from './metrics/app-metrics';
import { startMetricsListener } from './metrics/metrics-listener';
import { closeStore, openStore } from './runtime';
import { startSyncScheduler } from '../sync/scheduler';

export interface RunningServer {
  readonly server: Server;
  readonly dataSource: DataSource;
  readonly url: string;
  /** The METRICS_PORT listener's `http://host:port`, when METRICS_PORT is set. */
  readonly metricsUrl?: string;
  /** Stops accepting, lets in-flight requests finish (up to the shutdown timeout), closes the database. */
  stop(): Promise<void>;
}

/** Starts scimd: database (and migrations unless switched off), then the HTTP listener. */
export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  const dataSource = await openStore(config, { migrate: config.migrateOnStart });
  logger.info({ database: describeDatabase(config.database), migrated: config.migrateOnStart }, 'database ready');
  const lifecycle: Lifecycle = { shuttingDown: false };
  const server = createServer();
  // Slow clients must not hold a connection forever (slowloris); SCIM bodies are small.
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
    server.listen({ host: config.host, port: config.port });
  }).catch(async (error: unknown) => {
    await dataSource.destroy();
    throw error;
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  // The app is built once the port is known, so that locations name the real address when
  // PUBLIC_URL is not set (and PORT=0 picked a free port).
  const metrics = new AppMetrics(dataSource);
  // A taken METRICS_PORT stops the start, as a taken PORT does.
  const metricsListener = config.metrics
    ? await startMetricsListener(metrics, config.metrics, logger).catch(async (error: unknown) => {
      server.close();
      metrics.close();
      await closeStore(dataSource);
      throw error;
    })
    : undefined;
  const app = createApp({ config: { ...config, publicUrl: config.publicUrl ?? url }, dataSource, logger, lifecycle, metrics });
  server.on('request', app.callback());
  logger.info({ url: `${url}/scim/v2` }, 'scimd listening');
  const scheduler = config.sync?.schedulerEnabled ? startSyncScheduler(dataSource, config.sync, logger) : undefined;
  const mailOutbox = startMailDelivery(dataSource, config.mail, logger);
  const auditSweep = startAuditSealSweep(dataSource, logger);

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      lifecycle.shuttingDown = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), config.shutdownTimeoutMs);
      await closed;
      clearTimeout(timer);
      await scheduler?.stop();
      await mailOutbox?.stop();
      await auditSweep.stop();
      await metricsListener?.stop();
      metrics.close();
      await closeStore(dataSource);
      logger.info('scimd stopped');
    })();
    return stopping;
  };
  return { server, dataSource, url, stop, ...(metricsListener ? { metricsUrl: metricsListener.url } : {}) };
}
