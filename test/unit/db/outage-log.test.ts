import { expect } from 'chai';
import { Writable } from 'node:stream';
import { OutageLog } from '../../../src/db/outage-log';
import { createLogger } from '../../../src/logger';

const REFUSED = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), { code: 'ECONNREFUSED', fatal: true });

/** A real pino logger whose lines are kept for the test. */
function recordingLogger(): { lines: Record<string, unknown>[]; logger: ReturnType<typeof createLogger> } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createLogger('info', stream) };
}

describe('OutageLog', () => {
  describe('#failed() and #succeeded()', () => {
    it('logs an outage once when it begins and once when it ends, however often it is reported', () => {
      const { lines, logger } = recordingLogger();
      let now = 1_000;
      const outages = new OutageLog(logger, 'mail outbox', () => now);
      for (let tick = 0; tick < 5; tick++) expect(outages.failed(REFUSED)).to.equal(true);
      now = 4_500;
      outages.succeeded();
      outages.succeeded();
      expect(lines.map((line) => line.msg)).to.deep.equal([
        'mail outbox: the database cannot be reached; retrying quietly until it answers again',
        'mail outbox: the database answers again',
      ]);
      expect(lines[0]).to.include({ level: 40, who: 'mail outbox' });
      expect(lines[0]).to.have.nested.property('err.code', 'ECONNREFUSED');
      expect(lines[1]).to.include({ level: 30, outageSeconds: 3.5 });
    });

    it('leaves other errors to the caller, unlogged', () => {
      const { lines, logger } = recordingLogger();
      const outages = new OutageLog(logger, 'http');
      expect(outages.failed(Object.assign(new Error('Duplicate entry'), { code: 'ER_DUP_ENTRY' }))).to.equal(false);
      expect(outages.down).to.equal(false);
      expect(lines).to.deep.equal([]);
    });

    it('ignores work that began before the last change of state (a request overlapping the start or end of the outage)', () => {
      const { lines, logger } = recordingLogger();
      const outages = new OutageLog(logger, 'http');
      const before = outages.state;
      outages.failed(REFUSED, outages.state);
      outages.succeeded(before); // began before the outage: says nothing about the database now
      expect(outages.down).to.equal(true);
      const during = outages.state;
      outages.succeeded(during);
      outages.failed(REFUSED, during); // began during the outage, failed late: not a new outage
      expect(outages.down).to.equal(false);
      expect(lines.map((line) => String(line.msg).split(':')[1]?.trim())).to.deep.equal([
        'the database cannot be reached; retrying quietly until it answers again',
        'the database answers again',
      ]);
    });
  });
});
