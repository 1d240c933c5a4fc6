import { expect } from 'chai';
import { AuditSealer } from '../../../src/governance/audit-seal';

/** A seal that ends when the test says so, numbered in the order the sealer started them. */
class ControlledSeals {
  readonly started: { finish(count: number): void; fail(error: Error): void }[] = [];

  readonly run = (): Promise<number> => new Promise<number>((resolve, reject) => {
    this.started.push({ finish: resolve, fail: reject });
  });

  at(index: number): { finish(count: number): void; fail(error: Error): void } {
    const seal = this.started[index];
    if (!seal) throw new Error(`seal ${index} was not started (${this.started.length} were)`);
    return seal;
  }
}

/** Lets the promise callbacks queued so far run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('AuditSealer', () => {
  it('starts a seal at once when none runs', async () => {
    const seals = new ControlledSeals();
    const sealer = new AuditSealer(seals.run);
    const sealed = sealer.seal();
    expect(seals.started).to.have.length(1);
    seals.at(0).finish(3);
    expect(await sealed).to.equal(3);
  });

  it('gives every caller who asks while a seal runs one shared next seal, started when the running one ends', async () => {
    const seals = new ControlledSeals();
    const sealer = new AuditSealer(seals.run);
    const first = sealer.seal();
    const waiting = Array.from({ length: 10 }, () => sealer.seal());
    expect(seals.started, 'the next seal waits for the running one').to.have.length(1);
    seals.at(0).finish(1);
    expect(await first).to.equal(1);
    await settle();
    expect(seals.started, 'ten callers, one seal').to.have.length(2);
    seals.at(1).finish(10);
    expect(await Promise.all(waiting)).to.deep.equal(Array.from({ length: 10 }, () => 10));
    // Nothing runs now: the next caller starts its own seal.
    const later = sealer.seal();
    expect(seals.started).to.have.length(3);
    seals.at(2).finish(0);
    expect(await later).to.equal(0);
  });

  it('runs the next seal after a failed one, and hands the failure only to those who waited for the failed seal', async () => {
    const seals = new ControlledSeals();
    const sealer = new AuditSealer(seals.run);
    const failing = sealer.seal();
    const next = sealer.seal();
    seals.at(0).fail(new Error('connection lost'));
    const error = await failing.then(() => undefined, (reason: unknown) => reason);
    expect(error).to.be.instanceOf(Error).with.property('message', 'connection lost');
    await settle();
    expect(seals.started).to.have.length(2);
    seals.at(1).finish(2);
    expect(await next).to.equal(2);
  });
});

/** Timers the test fires by hand. */
class ManualTimers {
  readonly due: { callback: () => void; ms: number; cancelled: boolean }[] = [];

  readonly options = {
    delayMs: 10,
    schedule: (callback: () => void, ms: number) => {
      const timer = { callback, ms, cancelled: false, unref: () => timer };
      this.due.push(timer);
      return timer;
    },
    cancel: (timer: object) => {
      (timer as { cancelled: boolean }).cancelled = true;
    },
  };

  pending(): number {
    return this.due.filter((timer) => !timer.cancelled).length;
  }

  fire(): void {
    const timer = this.due.find((candidate) => !candidate.cancelled);
    if (!timer) throw new Error('no timer is due');
    timer.cancelled = true;
    timer.callback();
  }
}

describe('AuditSealer.sealSoon (the writes\' background seal)', () => {
  it('waits the delay, and the writes that commit meanwhile share one seal', () => {
    const seals = new ControlledSeals();
    const timers = new ManualTimers();
    const sealer = new AuditSealer(seals.run, timers.options);
    for (let i = 0; i < 5; i++) sealer.sealSoon();
    expect(timers.pending(), 'one timer for five writes').to.equal(1);
    expect(timers.due[0]?.ms).to.equal(10);
    expect(seals.started).to.have.length(0);
    timers.fire();
    expect(seals.started).to.have.length(1);
  });

  it('schedules a seal of its own for a write that commits while one runs (the running one may have read before it)', async () => {
    const seals = new ControlledSeals();
    const timers = new ManualTimers();
    const sealer = new AuditSealer(seals.run, timers.options);
    const running = sealer.seal();
    sealer.sealSoon();
    expect(timers.pending()).to.equal(1);
    timers.fire(); // while the first still runs: it queues the next
    seals.at(0).finish(1);
    await running;
    await settle();
    expect(seals.started).to.have.length(2);
  });

  it('needs no timer when a seal is already waiting to start after the running one', () => {
    const seals = new ControlledSeals();
    const timers = new ManualTimers();
    const sealer = new AuditSealer(seals.run, timers.options);
    void sealer.seal();
    void sealer.seal(); // the next one
    sealer.sealSoon();
    expect(timers.pending()).to.equal(0);
  });

  it('starts a due seal at once when the process settles before closing the database, and waits for it', async () => {
    const seals = new ControlledSeals();
    const timers = new ManualTimers();
    const sealer = new AuditSealer(seals.run, timers.options);
    sealer.sealSoon();
    let settled = false;
    const settling = sealer.settled().then(() => {
      settled = true;
    });
    expect(seals.started, 'started without waiting for the timer').to.have.length(1);
    expect(timers.pending(), 'the timer is cancelled').to.equal(0);
    await settle();
    expect(settled).to.equal(false);
    seals.at(0).finish(4);
    await settling;
    expect(settled).to.equal(true);
  });

  it('a seal asked for directly (a reader) cancels the due one: it covers the same writes', () => {
    const seals = new ControlledSeals();
    const timers = new ManualTimers();
    const sealer = new AuditSealer(seals.run, timers.options);
    sealer.sealSoon();
    void sealer.seal();
    expect(timers.pending()).to.equal(0);
    expect(seals.started).to.have.length(1);
  });
});
