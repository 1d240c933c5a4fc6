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
