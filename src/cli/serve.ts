import { loadConfig } from '../config';
import { describeError } from '../log-error';
import { createLogger } from '../logger';
import { startServer } from '../server';

/** `scimd serve` (what `npm start` runs): serve until SIGTERM/SIGINT, then drain and exit 0. */
export async function serve(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const running = await startServer(config, logger);
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    running.stop().then(() => process.exit(0), (error: unknown) => {
      logger.error({ err: describeError(error) }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}
