import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DriverUtils } from 'typeorm/driver/DriverUtils';
import { loadConfig } from '../../../src/config';
import { ConfigError } from '../../../src/errors';

describe('loadConfig()', () => {
  it('serves on 127.0.0.1:8080 from ./data/scimd.sqlite by default', () => {
    const config = loadConfig({});
    expect(config).to.deep.include({ host: '127.0.0.1', port: 8080, migrateOnStart: true, logLevel: 'info', maxBodyBytes: 1048576 });
    expect(config.database).to.deep.equal({ kind: 'sqlite', path: path.join('data', 'scimd.sqlite') });
    expect(config.publicUrl).to.equal(undefined);
  });

  it('reads mysql://, mariadb:// and sqlite: database URLs', () => {
    expect(loadConfig({ DATABASE_URL: 'mysql://u:p@db:3306/scimd' }).database).to.deep.equal({ kind: 'mariadb', url: 'mysql://u:p@db:3306/scimd' });
    expect(loadConfig({ DATABASE_URL: 'mariadb://u:p@db/scimd' }).database).to.deep.equal({ kind: 'mariadb', url: 'mysql://u:p@db/scimd' });
    expect(loadConfig({ DATABASE_URL: 'sqlite:/var/lib/scimd/db.sqlite' }).database).to.deep.equal({ kind: 'sqlite', path: '/var/lib/scimd/db.sqlite' });
  });

  it('reads a secret from NAME_FILE without its trailing newline', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'scimd-config-'));
    const file = path.join(dir, 'url');
    writeFileSync(file, 'mysql://u:secret@db:3306/scimd\n');
    expect(loadConfig({ DATABASE_URL_FILE: file }).database).to.deep.equal({ kind: 'mariadb', url: 'mysql://u:secret@db:3306/scimd' });
  });

  it('reports every invalid variable at once, by name', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'abc', DATABASE_URL: 'postgres://x/y', LOG_LEVEL: 'loud', MIGRATE_ON_START: 'maybe', PUBLIC_URL: 'ftp://x' });
    } catch (caught) {
      error = caught;
    }
    expect(error).to.be.instanceOf(ConfigError);
    const message = (error as Error).message;
    for (const name of ['PORT', 'DATABASE_URL', 'LOG_LEVEL', 'MIGRATE_ON_START', 'PUBLIC_URL']) expect(message).to.include(name);
  });

  it('refuses a variable set both directly and as _FILE', () => {
    expect(() => loadConfig({ DATABASE_URL: 'sqlite:a', DATABASE_URL_FILE: '/x' })).to.throw(ConfigError, /both set/);
  });

  it('names a missing secret file', () => {
    expect(() => loadConfig({ DATABASE_URL_FILE: '/nonexistent/scimd-url' })).to.throw(ConfigError, /DATABASE_URL_FILE.*ENOENT/);
  });

  it('rejects a MySQL URL without a database and a port out of range', () => {
    expect(() => loadConfig({ DATABASE_URL: 'mysql://u@db:3306' })).to.throw(ConfigError, /names no database/);
    expect(() => loadConfig({ PORT: '70000' })).to.throw(ConfigError, /PORT: 70000 is outside/);
  });

  it('marks the database as the default only when DATABASE_URL is unset (the server may then create ./data)', () => {
    expect(loadConfig({}).defaultDatabase).to.equal(true);
    expect(loadConfig({ DATABASE_URL: 'sqlite:data/scimd.sqlite' }).defaultDatabase, 'the default path, set explicitly').to.equal(false);
    expect(loadConfig({ DATABASE_URL: 'mysql://u:p@db:3306/scimd' }).defaultDatabase).to.equal(false);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'scimd-config-'));
    const file = path.join(dir, 'url');
    writeFileSync(file, 'sqlite:data/scimd.sqlite\n');
    expect(loadConfig({ DATABASE_URL_FILE: file }).defaultDatabase, 'from DATABASE_URL_FILE').to.equal(false);
  });

  describe('a MariaDB password with reserved characters', () => {
    const password = 'p@ss:w/rd?#%1';

    it('percent-encoded, is accepted and reaches the driver as written (TypeORM decodes the URL)', () => {
      const url = `mysql://${encodeURIComponent('scimd@corp')}:${encodeURIComponent(password)}@db:3306/scimd`;
      const { database } = loadConfig({ DATABASE_URL: url });
      expect(database.kind).to.equal('mariadb');
      const options = DriverUtils.buildDriverOptions({ type: 'mysql', url: database.kind === 'mariadb' ? database.url : '' }) as Record<string, unknown>;
      expect(options).to.include({ username: 'scimd@corp', password, host: 'db', port: 3306, database: 'scimd' });
    });

    for (const [what, raw] of [['#', 'pa#ss'], ['/', 'pa/ss'], ['/ after digits', '123/45'], ['?', 'pa?ss'], ['? after digits', '123?45'], ['a bare %', 'pa%ss']] as const) {
      it(`not encoded (${what}), is refused with the rule, and the message does not quote the password`, () => {
        let error: unknown;
        try {
          loadConfig({ DATABASE_URL: `mysql://scimd:${raw}@db:3306/scimd` });
        } catch (caught) {
          error = caught;
        }
        expect(error).to.be.instanceOf(ConfigError);
        const message = (error as Error).message;
        expect(message).to.include('DATABASE_URL').and.include('Percent-encode the user name and password').and.include('# as %23');
        expect(message).to.not.include(raw);
      });
    }

    it('an unencoded @ is read as TypeORM reads it (the last @ ends the password)', () => {
      const { database } = loadConfig({ DATABASE_URL: 'mysql://scimd:p@ss@db:3306/scimd' });
      const options = DriverUtils.buildDriverOptions({ type: 'mysql', url: database.kind === 'mariadb' ? database.url : '' }) as Record<string, unknown>;
      expect(options).to.include({ username: 'scimd', password: 'p@ss', host: 'db' });
    });
  });
});
