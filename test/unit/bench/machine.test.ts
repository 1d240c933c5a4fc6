import { expect } from 'chai';
import { bufferPoolNote } from '../../../bench/machine';

const MIB = 2 ** 20;

describe('bench machine line: the buffer pool against the bench data', () => {
  it('states the sizes when the pool holds the data', () => {
    expect(bufferPoolNote(1024 * MIB, 396 * MIB)).to.equal('InnoDB buffer pool 1024 MiB for 396 MiB of bench data');
  });

  it('warns when the data outgrows the pool, and says what to do', () => {
    const note = bufferPoolNote(128 * MIB, 396 * MIB);
    expect(note).to.match(/^InnoDB buffer pool 128 MiB for 396 MiB of bench data: SMALLER than the data/);
    expect(note).to.include('the read floor waits for the disk');
    expect(note).to.include('innodb_buffer_pool_size');
  });
});
