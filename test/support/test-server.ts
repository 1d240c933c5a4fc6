import { PersonalTokens } from '../../src/auth/personal-tokens';
import { ServiceAccounts } from '../../src/auth/service-accounts';
import type { Config, DatabaseConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { startServer, type RunningServer } from '../../src/server';
import { localOperatorContext } from '../../src/identity/change-context';
import type { TestDatabase } from './databases';

/** A suite's server and the SCIM client of an identity provider's account holding SCIM Provisioning. */
export interface ScimSuite {
  readonly server: TestServer;
  readonly scim: ScimClient;
}

/**
 * Starts a TestServer on a fresh database before the calling suite's tests and stops it after them;
 * the server and client are there from the suite's first test on.
 */
export function scimSuite(database: TestDatabase): ScimSuite {
  let started: ScimSuite | undefined;
  before(async () => {
    const server = await TestServer.start(await database.fresh());
    started = { server, scim: server.client(await server.token('okta', ['SCIM Provisioning'])) };
  });
  after(async () => {
    await started?.server.stop();
  });
  const ready = (): ScimSuite => {
    if (started === undefined) throw new Error('the suite\'s server is not started yet (use it inside a test or hook)');
    return started;
  };
  return { get server() { return ready().server; }, get scim() { return ready().scim; } };
}

/** A real scimd on a loopback port, with helpers to mint tokens and speak SCIM over HTTP. */
export class TestServer {
  private constructor(readonly running: RunningServer) {}

  static async start(database: DatabaseConfig, overrides: Partial<Config> = {}): Promise<TestServer> {
    const config: Config = {
      host: '127.0.0.1', port: 0, publicUrl: undefined, database, migrateOnStart: true,
      logLevel: 'silent', maxBodyBytes: 1024 * 1024, shutdownTimeoutMs: 2000,
      governance: { approvalMode: 'high-risk', approvalExpiryDays: 7 }, ...overrides,
    };
    const running = await startServer(config, createLogger('silent'));
    return new TestServer(running);
  }

  get baseUrl(): string {
    return `${this.running.url}/scim/v2`;
  }

  /** Creates a service account with the roles and returns its token. */
  async token(name: string, roles: string[], expiresAt?: string): Promise<string> {
    const accounts = new ServiceAccounts(this.running.dataSource);
    const { token } = await accounts.create(
      localOperatorContext('test'),
      { name, roleNames: roles, ...(expiresAt ? { expiresAt } : {}) },
    );
    return token;
  }

  /**
   * Issues a personal access token (`scimd_p_…`) for an existing user, who must hold a role that
   * grants a permission, as the local operator does (`scimd token create --user`).
   */
  async personToken(userName: string): Promise<string> {
    const { token } = await new PersonalTokens(this.running.dataSource).create(localOperatorContext('test'), { userName });
    return token;
  }

  client(token: string | undefined): ScimClient {
    return new ScimClient(this.baseUrl, token);
  }

  /** Row count of a table, to prove that a failed request wrote nothing. */
  async count(table: string): Promise<number> {
    const rows = await this.running.dataSource.query(`SELECT COUNT(*) AS n FROM ${table}`) as { n: number | string }[];
    return Number(rows[0]?.n ?? 0);
  }

  stop(): Promise<void> {
    return this.running.stop();
  }
}

export interface ScimReply {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
  readonly text: string;
}

export class ScimClient {
  constructor(readonly baseUrl: string, private readonly token: string | undefined) {}

  get(path: string, headers: Record<string, string> = {}): Promise<ScimReply> {
    return this.send('GET', path, undefined, headers);
  }

  post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<ScimReply> {
    return this.send('POST', path, body, headers);
  }

  put(path: string, body: unknown, headers: Record<string, string> = {}): Promise<ScimReply> {
    return this.send('PUT', path, body, headers);
  }

  patch(path: string, body: unknown, headers: Record<string, string> = {}): Promise<ScimReply> {
    return this.send('PATCH', path, body, headers);
  }

  delete(path: string, headers: Record<string, string> = {}): Promise<ScimReply> {
    return this.send('DELETE', path, undefined, headers);
  }

  /** Sends a raw body (a string) with explicit headers: for malformed input tests. */
  async raw(method: string, path: string, body: string | undefined, headers: Record<string, string>): Promise<ScimReply> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { ...(this.token ? { Authorization: `Bearer ${this.token}` } : {}), ...headers },
      ...(body === undefined ? {} : { body }),
    });
    const text = await response.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = text ? JSON.parse(text) as Record<string, unknown> : {};
    } catch {
      parsed = {};
    }
    return { status: response.status, headers: response.headers, body: parsed, text };
  }

  private send(method: string, path: string, body: unknown, headers: Record<string, string>): Promise<ScimReply> {
    return this.raw(method, path, body === undefined ? undefined : JSON.stringify(body), {
      ...(body === undefined ? {} : { 'Content-Type': 'application/scim+json' }),
      ...headers,
    });
  }
}

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
