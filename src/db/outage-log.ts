import { describeError } from '../log-error';
import type { Logger } from '../logger';
import { isDatabaseOutage } from './connection-errors';

/**
 * Logs a database outage once when it begins and once when it ends, for one actor (a background
 * loop, the HTTP edge): a worker that ticks every few seconds, or a load balancer probing every
 * second, must not write a line per attempt for as long as the database is down.
 */
export class OutageLog {
  private downSince: number | undefined;

  constructor(private readonly logger: Logger, private readonly who: string, private readonly now: () => number = Date.now) {}

  get down(): boolean {
    return this.downSince !== undefined;
  }

  /**
   * Reports a failure: true when it is a database outage (logged if it is the first of this outage),
   * false for any other error, which the caller reports as it always has.
   */
  failed(error: unknown): boolean {
    if (!isDatabaseOutage(error)) return false;
    if (this.downSince === undefined) {
      this.downSince = this.now();
      this.logger.warn({ err: describeError(error), who: this.who },
        `${this.who}: the database cannot be reached; retrying quietly until it answers again`);
    }
    return true;
  }

  /** Reports that the database answered: logs the end of an outage, if there was one. */
  succeeded(): void {
    if (this.downSince === undefined) return;
    const seconds = Math.round((this.now() - this.downSince) / 100) / 10;
    this.downSince = undefined;
    this.logger.info({ who: this.who, outageSeconds: seconds }, `${this.who}: the database answers again`);
  }
}
