import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../../src/config';

const problemsOf = (env: Record<string, string>): string => {
  try {
    loadConfig(env);
  } catch (error) {
    return (error as Error).message;
  }
  return '';
};

describe('loadConfig() for the web console', () => {
  it('keeps sessions 30 minutes idle and 12 hours at most, with sign-in by token only, by default', () => {
    expect(loadConfig({}).console).to.deep.equal({ sessionIdleMinutes: 30, sessionHours: 12 });
  });

  it('reads the session limits and refuses values out of range', () => {
    expect(loadConfig({ CONSOLE_SESSION_IDLE_MINUTES: '15', CONSOLE_SESSION_HOURS: '8' }).console)
      .to.deep.include({ sessionIdleMinutes: 15, sessionHours: 8 });
    expect(problemsOf({ CONSOLE_SESSION_IDLE_MINUTES: '0' })).to.include('CONSOLE_SESSION_IDLE_MINUTES: 0 is outside 1..1440');
    expect(problemsOf({ CONSOLE_SESSION_HOURS: 'half a day' })).to.include('CONSOLE_SESSION_HOURS: "half a day" is not a whole number');
  });

  it('reads OpenID Connect sign-in, the client secret from a file, and the claim to match', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'scimd-oidc-'));
    writeFileSync(path.join(dir, 'secret'), 's3cret\n');
    const config = loadConfig({
      PUBLIC_URL: 'https://scimd.example.com', OIDC_ISSUER: 'https://login.microsoftonline.com/tenant/v2.0',
      OIDC_CLIENT_ID: 'client', OIDC_CLIENT_SECRET_FILE: path.join(dir, 'secret'), OIDC_USER_CLAIM: 'preferred_username',
      OIDC_PROVIDER_NAME: 'Entra ID',
    });
    expect(config.console?.oidc).to.deep.equal({
      issuer: 'https://login.microsoftonline.com/tenant/v2.0', clientId: 'client', clientSecret: 's3cret',
      userClaim: 'preferred_username', providerName: 'Entra ID',
    });
    const defaults = loadConfig({ PUBLIC_URL: 'https://scimd.example.com', OIDC_ISSUER: 'https://idp.example.com', OIDC_CLIENT_ID: 'c' });
    expect(defaults.console?.oidc).to.deep.equal({ issuer: 'https://idp.example.com', clientId: 'c', userClaim: 'email', providerName: 'single sign-on' });
  });

  it('names every problem of an OIDC configuration at once', () => {
    const problems = problemsOf({ OIDC_ISSUER: 'http://idp.example.com', OIDC_USER_CLAIM: 'e mail' });
    expect(problems).to.include('OIDC_ISSUER: must be an https:// URL');
    expect(problems).to.include('OIDC_CLIENT_ID: required when OIDC_ISSUER is set');
    expect(problems).to.include('OIDC_USER_CLAIM: "e mail" is not a claim name');
    expect(problems).to.include('PUBLIC_URL: required when OIDC_ISSUER is set');
    expect(problemsOf({ OIDC_CLIENT_ID: 'c' })).to.include('OIDC_CLIENT_ID is set but OIDC_ISSUER is not');
  });

  it('accepts a plain-http issuer on this machine only (tests, development)', () => {
    for (const issuer of ['http://localhost:9000', 'http://127.0.0.2:9000', 'http://[::1]:9000']) {
      expect(problemsOf({ PUBLIC_URL: 'http://127.0.0.1:8080', OIDC_ISSUER: issuer, OIDC_CLIENT_ID: 'c' }), issuer).to.equal('');
    }
  });
});
