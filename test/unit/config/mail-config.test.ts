import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../../src/config';
import { configProblems } from '../../support/config-problems';

describe('loadConfig() mail notices', () => {
  it('has no mail configuration without SMTP_URL (notices stay queued)', () => {
    expect(loadConfig({})).to.not.have.property('mail');
    expect(loadConfig({ MAIL_FROM: 'noreply@example.test' })).to.not.have.property('mail');
  });

  it('reads SMTP_URL and MAIL_FROM', () => {
    expect(loadConfig({ SMTP_URL: 'smtp://mail.example.test:587', MAIL_FROM: 'scimd <noreply@example.test>' }).mail)
      .to.deep.equal({ url: 'smtp://mail.example.test:587', from: 'scimd <noreply@example.test>' });
    expect(loadConfig({ SMTP_URL: 'smtps://u:p%40ss@mail.example.test:465', MAIL_FROM: 'noreply@example.test' }).mail)
      .to.deep.equal({ url: 'smtps://u:p%40ss@mail.example.test:465', from: 'noreply@example.test' });
  });

  it('reads SMTP_URL from SMTP_URL_FILE', () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'scimd-config-')), 'smtp-url');
    writeFileSync(file, 'smtps://u:secret@mail.example.test:465\n');
    expect(loadConfig({ SMTP_URL_FILE: file, MAIL_FROM: 'noreply@example.test' }).mail?.url).to.equal('smtps://u:secret@mail.example.test:465');
  });

  it('requires MAIL_FROM with SMTP_URL, and an address in it', () => {
    expect(configProblems({ SMTP_URL: 'smtp://mail.example.test' })).to.include('MAIL_FROM: required when SMTP_URL is set');
    expect(configProblems({ SMTP_URL: 'smtp://mail.example.test', MAIL_FROM: 'scimd' })).to.include('MAIL_FROM: "scimd" is not an address');
    expect(configProblems({ SMTP_URL: 'smtp://mail.example.test', MAIL_FROM: 'a@example.test\nBcc: b@example.test' })).to.include('MAIL_FROM');
  });

  it('refuses a URL that is not smtp:// or smtps://, without quoting its password', () => {
    for (const url of ['http://u:hunter2@mail.example.test', 'smtp//u:hunter2@mail', 'mailto:u:hunter2@example.test']) {
      const message = configProblems({ SMTP_URL: url, MAIL_FROM: 'noreply@example.test' });
      expect(message, url).to.include('SMTP_URL');
      expect(message, url).to.not.include('hunter2');
    }
  });
});
