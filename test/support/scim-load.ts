import { EventEmitter } from 'node:events';

/** One request of the load and how it ended. */
export interface LoadOutcome {
  /** Position in the order the answers came back. */
  readonly seq: number;
  readonly operation: 'create user' | 'add member';
  /** The HTTP status, or `no answer` when the request failed without one (a reset, or no answer within the client's timeout). */
  readonly status: number | 'no answer';
  readonly retryAfter: string | null;
  readonly contentType: string | null;
  readonly body: Record<string, unknown>;
  readonly userName?: string;
  /** The created user's id, for a 201. */
  readonly id?: string;
  readonly failure?: string;
}

export interface ScimLoadOptions {
  /** SCIM base URL (…/scim/v2). */
  readonly baseUrl: string;
  readonly token: string;
  /** Concurrent writers creating users. */
  readonly writers: number;
  /** A group whose members one more writer keeps adding (the users created so far), a multi-row write. */
  readonly groupId?: string;
  /** A request with no answer after this long counts as hung. */
  readonly requestTimeoutMs: number;
  /** Makes userNames unique across loads. */
  readonly prefix: string;
}

/**
 * SCIM write load for outage tests: writers that create users one after another (and, with a
 * group, one that adds them to it) until stop(), recording every answer. waitFor() resolves on the
 * answer that makes a condition true, so tests wait for events, not for time.
 */
export class ScimLoad {
  readonly outcomes: LoadOutcome[] = [];
  private readonly answered = new EventEmitter();
  private stopping = false;
  private counter = 0;
  private workers: Promise<void>[] = [];

  constructor(private readonly options: ScimLoadOptions) {}

  start(): void {
    for (let i = 0; i < this.options.writers; i++) this.workers.push(this.createUsers());
    if (this.options.groupId !== undefined) this.workers.push(this.addMembers(this.options.groupId));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.workers);
  }

  /** Outcomes after position `from` (an earlier outcomes.length) matching `filter`. */
  since(from: number, filter: (outcome: LoadOutcome) => boolean = () => true): LoadOutcome[] {
    return this.outcomes.slice(from).filter(filter);
  }

  /** Resolves when `condition` holds on the outcomes so far; rejects after `timeoutMs`. */
  waitFor(what: string, condition: () => boolean, timeoutMs: number): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!condition()) return;
        clearTimeout(timer);
        this.answered.off('outcome', check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.answered.off('outcome', check);
        reject(new Error(`load: ${what} did not happen within ${timeoutMs} ms (statuses so far: ${this.summary()})`));
      }, timeoutMs);
      this.answered.on('outcome', check);
    });
  }

  /** Status counts, for messages: `201×40 503×12`. */
  summary(outcomes: readonly LoadOutcome[] = this.outcomes): string {
    const counts = new Map<string, number>();
    for (const outcome of outcomes) counts.set(String(outcome.status), (counts.get(String(outcome.status)) ?? 0) + 1);
    return [...counts].map(([status, count]) => `${status}×${count}`).join(' ');
  }

  private async createUsers(): Promise<void> {
    while (!this.stopping) {
      const userName = `${this.options.prefix}-${++this.counter}@outage.example`;
      const outcome = await this.send('create user', 'POST', '/Users', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName, active: true,
        name: { givenName: 'Load', familyName: String(this.counter) },
        emails: [{ value: userName, type: 'work', primary: true }],
      });
      this.record({ ...outcome, userName, ...(outcome.status === 201 ? { id: String(outcome.body.id) } : {}) });
    }
  }

  private async addMembers(groupId: string): Promise<void> {
    while (!this.stopping) {
      const created = this.outcomes.filter((outcome) => outcome.id !== undefined).slice(-3).map((outcome) => ({ value: outcome.id }));
      if (created.length === 0) {
        // Nothing to add yet: wait for the next answer rather than spin.
        await new Promise((resolve) => this.answered.once('outcome', resolve));
        continue;
      }
      this.record(await this.send('add member', 'PATCH', `/Groups/${groupId}`, {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'add', path: 'members', value: created }],
      }));
    }
  }

  private record(outcome: Omit<LoadOutcome, 'seq'>): void {
    this.outcomes.push({ ...outcome, seq: this.outcomes.length });
    this.answered.emit('outcome');
  }

  private async send(operation: LoadOutcome['operation'], method: string, path: string, body: unknown): Promise<Omit<LoadOutcome, 'seq'>> {
    try {
      const response = await fetch(`${this.options.baseUrl}${path}`, {
        method,
        headers: { Authorization: `Bearer ${this.options.token}`, 'Content-Type': 'application/scim+json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.requestTimeoutMs),
      });
      const text = await response.text();
      return {
        operation, status: response.status, retryAfter: response.headers.get('Retry-After'),
        contentType: response.headers.get('Content-Type'), body: text ? JSON.parse(text) as Record<string, unknown> : {},
      };
    } catch (error) {
      return { operation, status: 'no answer', retryAfter: null, contentType: null, body: {}, failure: (error as Error).message };
    }
  }
}
