import { expect } from 'chai';
import { allSteps, stepsInTurns, type Steps } from '../../../sync/steps';

/** Three steps, each noted in `order` as it runs. */
function* threeSteps(order: string[]): Steps<number> {
  order.push('step 1');
  yield;
  order.push('step 2');
  yield;
  order.push('step 3');
  return 42;
}

describe('sync/steps', () => {
  it('allSteps runs every step at once and returns the result', () => {
    const order: string[] = [];
    expect(allSteps(threeSteps(order))).to.equal(42);
    expect(order).to.deep.equal(['step 1', 'step 2', 'step 3']);
  });

  it('stepsInTurns lets what is waiting on the event loop run between two steps', async () => {
    const order: string[] = [];
    setImmediate(() => order.push('waiting callback'));
    expect(await stepsInTurns(threeSteps(order))).to.equal(42);
    expect(order).to.deep.equal(['step 1', 'waiting callback', 'step 2', 'step 3']);
  });

  it('stepsInTurns passes on the error of a step', async () => {
    function* failing(): Steps<number> {
      yield;
      throw new Error('planned whole but unread');
    }
    let caught: unknown;
    await stepsInTurns(failing()).catch((error: unknown) => {
      caught = error;
    });
    expect(caught).to.be.instanceOf(Error).with.property('message', 'planned whole but unread');
  });
});
