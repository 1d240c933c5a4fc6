import { expect } from 'chai';
import { loadConfig } from '../../../src/config';
import { configProblems } from '../../support/config-problems';

describe('loadConfig() metrics listener', () => {
  it('has no metrics listener without METRICS_PORT (/metrics is then on the main port only, with a token)', () => {
    expect(loadConfig({})).to.not.have.property('metrics');
  });

  it('listens on loopback by default, or on METRICS_HOST', () => {
    expect(loadConfig({ METRICS_PORT: '9464' }).metrics).to.deep.equal({ host: '127.0.0.1', port: 9464 });
    expect(loadConfig({ METRICS_PORT: '9464', METRICS_HOST: '0.0.0.0' }).metrics).to.deep.equal({ host: '0.0.0.0', port: 9464 });
  });

  it('refuses a port that is not one, the main port, and METRICS_HOST alone', () => {
    expect(configProblems({ METRICS_PORT: 'nine' })).to.include('METRICS_PORT: "nine" is not a whole number');
    expect(configProblems({ METRICS_PORT: '0' })).to.include('METRICS_PORT: 0 is outside 1..65535');
    expect(configProblems({ METRICS_PORT: '8080' })).to.include('METRICS_PORT: 8080 is PORT as well');
    expect(configProblems({ PORT: '9000', METRICS_PORT: '9000' })).to.include('METRICS_PORT: 9000 is PORT as well');
    expect(configProblems({ METRICS_HOST: '0.0.0.0' })).to.include('METRICS_HOST is set but METRICS_PORT is not');
  });
});
