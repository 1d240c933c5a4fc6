import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { MetricsListenerConfig } from '../config';
import { describeError } from '../log-error';
import type { Logger } from '../logger';
import type { AppMetrics } from './app-metrics';
import { METRICS_PATH } from './metrics-route';

export interface MetricsListener {
  /** `http://host:port`, with the port the listener got. */
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * The listener of METRICS_PORT: GET /metrics without a token, nothing else. It is meant for a
 * network only Prometheus reaches (METRICS_HOST defaults to loopback), so it answers no other
 * path and keeps no state. A plain node:http server: one route needs no framework.
 */
export async function startMetricsListener(metrics: AppMetrics, config: MetricsListenerConfig, logger: Logger): Promise<MetricsListener> {
  const server = createServer((request, response) => {
    serve(metrics, request, response).catch((error: unknown) => {
      logger.error({ err: describeError(error) }, 'metrics scrape failed');
      if (!response.headersSent) reply(response, 500, 'the metrics could not be rendered\n');
      else response.destroy();
    });
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  await listen(server, config);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  logger.info({ url: `${url}${METRICS_PATH}` }, 'metrics listening');
  return {
    url,
    stop: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

async function serve(metrics: AppMetrics, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://metrics').pathname;
  if (path !== METRICS_PATH) return reply(response, 404, `only ${METRICS_PATH} is served here\n`);
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return reply(response, 405, `${METRICS_PATH} answers GET only\n`, { Allow: 'GET, HEAD' });
  }
  const body = await metrics.render();
  response.writeHead(200, { 'Content-Type': metrics.contentType, 'Cache-Control': 'no-store' });
  response.end(request.method === 'HEAD' ? undefined : body);
}

function reply(response: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers });
  response.end(text);
}

function listen(server: Server, config: MetricsListenerConfig): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
    server.listen({ host: config.host, port: config.port });
  });
}
