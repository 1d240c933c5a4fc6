import { describeError } from '../log-error';
import type { Logger } from '../logger';
import { isDatabaseOutage } from './connection-errors';

/**
 * Logs a database outage once when it begins and once when it ends, for one actor (a background
 * loop, the HTTP edge): a worker that ticks every few seconds, or a load balancer probing every
 * second, must not write a line per attempt for as long as the database is down.
 *
 * Concurrent work (HTTP requests) overlaps the moments the state changes: a request that began
 * before the outage may still succeed after another one saw it, and one that began during it may
 * fail after another saw the database back. So each report may name the state its work began in
 * (`state` when it began), and only work that began in the current state changes it. Sequential
 * loops report without one.
 */
export class OutageLog {
  private downSince: number | undefined;
  /** Counts the changes between up and down. */
  private version = 0;

  constructor(private readonly logger: Logger, private readonly who: string, private readonly now: () => number = Date.now) {}

  /** True between the start of an outage and the end that was reported. */
  get down(): boolean {
    return this.downSince !== undefined;
  }

  /** The state now, to hand back to failed() or succeeded() when the work begun now ends. */
  get state(): number {
    return this.version;
  }

  /**
   * Reports a failure: true when it is a database outage (logged if it is the first of this outage),
   * false for any other error, which the caller reports as it always has.
   */
  failed(error: unknown, begunIn = this.version): boolean {
    if (!isDatabaseOutage(error)) return false;
    if (this.downSince === undefined && begunIn === this.version) {
      this.downSince = this.now();
      this.version++;
      this.logger.warn({ err: describeError(error), who: this.who },
        `${this.who}: the database cannot be reached; retrying quietly until it answers again`);
    }
    return true;
  }

  /** Reports that the database answered: logs the end of an outage, if there was one. */
  succeeded(begunIn = this.version): void {
    if (this.downSince === undefined || begunIn !== this.version) return;
    const seconds = Math.round((this.now() - this.downSince) / 100) / 10;
    this.downSince = undefined;
    this.version++;
    this.logger.info({ who: this.who, outageSeconds: seconds }, `${this.who}: the database answers again`);
  }
}
