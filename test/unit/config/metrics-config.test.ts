import { expect } from 'chai';
import { loadConfig, type Env } from '../../../src/config';
import { ConfigError } from '../../../src/errors';

function problemsOf(env: Env): string {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig() metrics listener', () => {
  it('has no metrics listener without METRICS_PORT (/metrics is then on the main port only, with a token)', () => {
    expect(loadConfig({})).to.not.have.property('metrics');
  });

  it('listens on loopback by default, or on METRICS_HOST', () => {
    expect(loadConfig({ METRICS_PORT: '9464' }).metrics).to.deep.equal({ host: '127.0.0.1', port: 9464 });
    expect(loadConfig({ METRICS_PORT: '9464', METRICS_HOST: '0.0.0.0' }).metrics).to.deep.equal({ host: '0.0.0.0', port: 9464 });
  });

  it('refuses a port that is not one, the main port, and METRICS_HOST alone', () => {
    expect(problemsOf({ METRICS_PORT: 'nine' })).to.include('METRICS_PORT: "nine" is not a whole number');
    expect(problemsOf({ METRICS_PORT: '0' })).to.include('METRICS_PORT: 0 is outside 1..65535');
    expect(problemsOf({ METRICS_PORT: '8080' })).to.include('METRICS_PORT: 8080 is PORT as well');
    expect(problemsOf({ PORT: '9000', METRICS_PORT: '9000' })).to.include('METRICS_PORT: 9000 is PORT as well');
    expect(problemsOf({ METRICS_HOST: '0.0.0.0' })).to.include('METRICS_HOST is set but METRICS_PORT is not');
  });
});
