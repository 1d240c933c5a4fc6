import { expect } from 'chai';
import { countStatuses, doctorExitCode, formatJson, formatReport } from '../../../src/cli/doctor-report';
import { fail, ok, skip, skipAfter, warn, type CheckResult } from '../../../src/diagnosis';

const healthy: CheckResult[] = [
  ok('config', 'the environment (and .env) is a valid configuration'),
  ok('database.connect', 'sqlite:data/scimd.sqlite answers (SQLite 3.45.0)'),
  skip('smtp.verify', 'SMTP_URL is not set: notices stay queued'),
];
const broken: CheckResult[] = [
  ok('config', 'valid'),
  fail('directory.bind', 'LDAP bind refused [invalid credentials]', 'set the account\'s current password'),
  ...skipAfter('directory.bind', ['directory.users']),
  warn('directory.deleted-objects', 'CN=Deleted Objects,DC=example,DC=test is not visible', 'grant List Contents'),
];

describe('doctor report', () => {
  describe('formatReport()', () => {
    it('says every check passed when none failed or warned, and lists each check on its own line', () => {
      expect(formatReport(healthy)).to.equal([
        'scimd doctor: every check passed',
        '',
        'ok    config            the environment (and .env) is a valid configuration',
        'ok    database.connect  sqlite:data/scimd.sqlite answers (SQLite 3.45.0)',
        'skip  smtp.verify       SMTP_URL is not set: notices stay queued',
        '',
        '2 ok, 0 warnings, 0 failed, 1 skipped',
        '',
      ].join('\n'));
    });

    it('puts the fix under each failure and warning, aligned with the details, and counts them', () => {
      expect(formatReport(broken)).to.equal([
        'scimd doctor: 1 check failed; the fix is under each',
        '',
        'ok    config                     valid',
        'FAIL  directory.bind             LDAP bind refused [invalid credentials]',
        '                                 fix: set the account\'s current password',
        'skip  directory.users            not checked: directory.bind did not pass',
        'WARN  directory.deleted-objects  CN=Deleted Objects,DC=example,DC=test is not visible',
        '                                 fix: grant List Contents',
        '',
        '1 ok, 1 warning, 1 failed, 1 skipped',
        '',
      ].join('\n'));
    });

    it('keeps every line of a detail of several lines in the detail column', () => {
      const report = formatReport([fail('config', 'Invalid configuration:\n  - PORT: "x" is not a whole number\n  - LOG_LEVEL: must be one of …', 'correct each variable')]);
      expect(report.split('\n').slice(2, 6)).to.deep.equal([
        'FAIL  config  Invalid configuration:',
        '              - PORT: "x" is not a whole number',
        '              - LOG_LEVEL: must be one of …',
        '              fix: correct each variable',
      ]);
    });

    it('says the configuration works when there are only warnings', () => {
      const [headline] = formatReport([ok('config', 'valid'), warn('directory.controls', 'no ranged retrieval', 'check big groups')]).split('\n');
      expect(headline).to.equal('scimd doctor: scimd can work with this configuration; 1 warning below');
    });
  });

  describe('formatJson()', () => {
    it('gives the verdict, the counts and every finding as it is', () => {
      expect(JSON.parse(formatJson(broken))).to.deep.equal({
        ok: false,
        counts: { ok: 1, warn: 1, fail: 1, skip: 1 },
        checks: broken,
      });
      expect(JSON.parse(formatJson(healthy))).to.include({ ok: true });
    });
  });

  describe('doctorExitCode()', () => {
    it('is 0 with warnings and skipped checks, 1 with a failure', () => {
      expect(doctorExitCode(healthy)).to.equal(0);
      expect(doctorExitCode([warn('a.b', 'limited', 'fix it'), skip('c.d', 'off')])).to.equal(0);
      expect(doctorExitCode(broken)).to.equal(1);
    });
  });

  describe('countStatuses()', () => {
    it('counts each status, zero for those absent', () => {
      expect(countStatuses([])).to.deep.equal({ ok: 0, warn: 0, fail: 0, skip: 0 });
      expect(countStatuses(healthy)).to.deep.equal({ ok: 2, warn: 0, fail: 0, skip: 1 });
    });
  });
});
