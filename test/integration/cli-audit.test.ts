import { expect } from 'chai';
import Database from 'better-sqlite3';
import path from 'node:path';
import { explain, runScimd, useSpawnedProcesses, type RunResult } from '../support/processes';

/**
 * `scimd audit verify` and `scimd audit list` as an operator runs them: real child processes on a
 * real database file, which the test then edits behind scimd's back as an intruder would.
 */

let tmp: string;

function parseJson<T>(result: RunResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`stdout is not one JSON document:\n${explain(result)}`);
  }
}

function withSqlite<T>(file: string, work: (db: Database.Database) => T): T {
  const db = new Database(file, { fileMustExist: true });
  try {
    return work(db);
  } finally {
    db.close();
  }
}

interface Verified {
  readonly ok: boolean;
  readonly count: number;
  readonly headSeq?: number;
  readonly headHash?: string | null;
  readonly broken?: { problem: string; seq: number; id: number | null; message: string };
}

interface Listed {
  readonly seq: number;
  readonly action: string;
  readonly actor: { type: string; name: string };
  readonly target: { type: string; name: string | null };
}

describe('scimd audit (spawned processes)', function () {
  this.timeout(90_000);
  let file: string;
  let env: Record<string, string>;

  useSpawnedProcesses('scimd-cli-audit-', (dir) => {
    tmp = dir;
  });

  before(async () => {
    file = path.join(tmp, 'audit.sqlite');
    env = { DATABASE_URL: `sqlite:${file}` };
    // Audited writes through the CLI door: two service accounts, each with its first token.
    for (const name of ['okta', 'entra']) {
      const created = await runScimd(['service-account', 'create', name, '--role', 'SCIM Provisioning', '--json'], { env });
      expect(created.code, explain(created)).to.equal(0);
    }
  });

  it('verify exits 0 on an intact log and prints the count and the head hash (text and --json)', async () => {
    const events = withSqlite(file, (db) => db.prepare('SELECT seq, hash FROM audit_events ORDER BY seq').all() as { seq: number; hash: string }[]);
    expect(events.length).to.be.greaterThan(1);
    const headHash = events.at(-1)?.hash ?? '';

    const text = await runScimd(['audit', 'verify'], { env });
    expect(text.code, explain(text)).to.equal(0);
    expect(text.stdout).to.equal(`Audit chain intact: ${events.length} events, head seq ${events.length}, head hash ${headHash}\n`);

    const json = await runScimd(['audit', 'verify', '--json'], { env });
    expect(json.code, explain(json)).to.equal(0);
    expect(parseJson<Verified>(json)).to.deep.equal({ ok: true, count: events.length, headSeq: events.length, headHash });
  });

  it('list prints recent events newest first, filtered by --actor, --action and --since, at most --limit', async () => {
    const all = await runScimd(['audit', 'list', '--json'], { env });
    expect(all.code, explain(all)).to.equal(0);
    const events = parseJson<Listed[]>(all);
    expect(events.map((event) => event.seq)).to.deep.equal(events.map((_, i) => events.length - i));
    expect(events.filter((event) => event.action === 'service-account.create').map((event) => event.target.name)).to.deep.equal(['entra', 'okta']);

    const one = parseJson<Listed[]>(await runScimd(['audit', 'list', '--action', 'service-account.', '--limit', '1', '--json'], { env }));
    expect(one.map((event) => event.target.name)).to.deep.equal(['entra']);
    const actor = events[0]?.actor.name ?? '';
    expect(actor).to.match(/^cli:/);
    const byActor = parseJson<Listed[]>(await runScimd(['audit', 'list', '--actor', actor, '--json'], { env }));
    expect(byActor).to.have.length(events.length);
    expect(parseJson<Listed[]>(await runScimd(['audit', 'list', '--actor', 'nobody', '--json'], { env }))).to.deep.equal([]);
    expect(parseJson<Listed[]>(await runScimd(['audit', 'list', '--since', '2999-01-01', '--json'], { env }))).to.deep.equal([]);

    const table = await runScimd(['audit', 'list', '--action', 'service-account.create'], { env });
    expect(table.code, explain(table)).to.equal(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).to.match(/^SEQ\s+TIME\s+ACTOR\s+DOOR\s+ACTION\s+TARGET$/);
    expect(lines.slice(1).map((line) => line.match(/ServiceAccount (\S+)$/)?.[1])).to.deep.equal(['entra', 'okta']);

    const bad = await runScimd(['audit', 'list', '--since', 'yesterday'], { env });
    expect(bad.code, explain(bad)).to.equal(1);
    expect(bad.stderr).to.match(/--since must be an ISO 8601/);
  });

  it('verify exits 1 naming the seq of a row edited in the database, and 0 again once it is restored', async () => {
    const row = withSqlite(file, (db) => db.prepare('SELECT id, seq, actor_name FROM audit_events WHERE seq = 2').get() as
      { id: number; seq: number; actor_name: string });
    withSqlite(file, (db) => db.prepare('UPDATE audit_events SET actor_name = ? WHERE seq = 2').run('cli:someone-else'));
    try {
      const text = await runScimd(['audit', 'verify'], { env });
      expect(text.code, explain(text)).to.equal(1);
      expect(text.stdout).to.match(new RegExp(`^Audit chain BROKEN at seq 2 \\(id ${row.id}\\): hash-mismatch\\n`));
      expect(text.stdout).to.include('1 event(s) before it verified intact');
      expect(text.stderr).to.equal('scimd: the audit chain is broken at seq 2 (hash-mismatch)\n');

      const json = await runScimd(['audit', 'verify', '--json'], { env });
      expect(json.code, explain(json)).to.equal(1);
      const result = parseJson<Verified>(json);
      expect(result).to.include({ ok: false, count: 1 });
      expect(result.broken).to.include({ problem: 'hash-mismatch', seq: 2, id: row.id });
    } finally {
      withSqlite(file, (db) => db.prepare('UPDATE audit_events SET actor_name = ? WHERE seq = 2').run(row.actor_name));
    }
    expect((await runScimd(['audit', 'verify'], { env })).code).to.equal(0);
  });

  it('verify exits 1 when the last event was deleted', async () => {
    const last = withSqlite(file, (db) => db.prepare('SELECT MAX(seq) AS seq FROM audit_events').get() as { seq: number }).seq;
    withSqlite(file, (db) => db.prepare('DELETE FROM audit_events WHERE seq = ?').run(last));
    const result = await runScimd(['audit', 'verify', '--json'], { env });
    expect(result.code, explain(result)).to.equal(1);
    expect(parseJson<Verified>(result).broken).to.include({ problem: 'head-mismatch', seq: last, id: null });
  });
});
