import { createServer, type Server } from 'node:http';
import type { DataSource } from 'typeorm';
import { createApp } from '../../src/app';
import { PersonalTokens } from '../../src/auth/personal-tokens';
import type { ConsoleConfig, DatabaseConfig } from '../../src/config';
import { openDataSource } from '../../src/db/data-source';
import { localOperatorContext } from '../../src/identity/change-context';
import { RoleDirectory } from '../../src/identity/roles';
import { UserDirectory } from '../../src/identity/users';
import { createLogger } from '../../src/logger';

/** System role ids (migrations/1763900000004-governance.ts), for granting persons their roles in tests. */
export const ROLE_IDS = {
  superAdministrator: '00000000-0000-4000-8000-000000000001',
  auditor: '00000000-0000-4000-8000-000000000003',
  helpDesk: '00000000-0000-4000-8000-000000000004',
  operator: '00000000-0000-4000-8000-000000000006',
  validator: '00000000-0000-4000-8000-000000000007',
} as const;

const OPERATOR = localOperatorContext('test');

/** A response as a console test reads it: status, headers, the Set-Cookie lines and the body's text. */
export interface ConsoleReply {
  readonly status: number;
  readonly headers: Headers;
  readonly setCookies: readonly string[];
  readonly text: string;
  /** Location, when the reply redirects. */
  readonly location: string | null;
}

/**
 * A browser-like client of the console over plain fetch: a cookie jar (name → value; no paths or
 * expiry: the console's cookies all live under /admin), redirects not followed, Origin sent on
 * POSTs as a browser does. `signInWithToken` signs in through the real form.
 */
export class ConsoleAgent {
  readonly cookies = new Map<string, string>();

  constructor(readonly origin: string) {}

  async get(path: string, headers: Record<string, string> = {}): Promise<ConsoleReply> {
    return this.send('GET', path, undefined, headers);
  }

  /** Posts a form (application/x-www-form-urlencoded); add `_csrf` yourself, or use postWithCsrf. */
  async post(path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<ConsoleReply> {
    return this.send('POST', path, new URLSearchParams(form).toString(), {
      'Content-Type': 'application/x-www-form-urlencoded', Origin: this.origin, ...headers,
    });
  }

  /** Posts a form carrying the session's CSRF token (read from GET /admin/session). */
  async postWithCsrf(path: string, form: Record<string, string> = {}): Promise<ConsoleReply> {
    const session = await this.session();
    if (!session.signedIn) throw new Error('postWithCsrf: not signed in');
    return this.post(path, { ...form, _csrf: String(session.csrfToken) });
  }

  /** GET /admin/session as JSON: `{signedIn: false}`, or who is signed in with the CSRF token and expiries. */
  async session(): Promise<Record<string, unknown> & { signedIn: boolean }> {
    const reply = await this.get('/admin/session');
    return JSON.parse(reply.text) as Record<string, unknown> & { signedIn: boolean };
  }

  /** Signs in with a personal access token through the sign-in form; throws unless it lands signed in. */
  async signInWithToken(token: string): Promise<ConsoleReply> {
    const page = await this.get('/admin/sign-in');
    const presession = /name="_signin" value="([^"]+)"/.exec(page.text)?.[1];
    if (!presession) throw new Error(`the sign-in page has no form token:\n${page.text}`);
    const reply = await this.post('/admin/sign-in/token', { _signin: presession, token });
    if (reply.status !== 303 || !this.cookies.get('scimd_session')) {
      throw new Error(`token sign-in failed: ${reply.status}\n${reply.text}`);
    }
    return reply;
  }

  /** The Cookie header this agent sends. */
  cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  async send(method: string, path: string, body: string | undefined, headers: Record<string, string>): Promise<ConsoleReply> {
    const cookie = this.cookieHeader();
    const response = await fetch(`${this.origin}${path}`, {
      method, redirect: 'manual',
      headers: { ...(cookie ? { Cookie: cookie } : {}), ...headers },
      ...(body === undefined ? {} : { body }),
    });
    const setCookies = response.headers.getSetCookie();
    for (const line of setCookies) {
      const [pair = '', ...attributes] = line.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      const deleted = attributes.some((attribute) => attribute.trim().toLowerCase() === 'max-age=0');
      if (deleted || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return { status: response.status, headers: response.headers, setCookies, text: await response.text(), location: response.headers.get('Location') };
  }
}

/** A scimd app (createApp) on a loopback port, with the console's clock in the test's hand. */
export interface ConsoleApp {
  readonly origin: string;
  readonly dataSource: DataSource;
  /** Creates a User holding the given roles (ids) through floor 2, as the local operator; returns its id. */
  person(userName: string, roleIds: readonly string[], profile?: { emails?: { value: string; primary?: boolean }[] }): Promise<string>;
  /** A personal access token for a user, as `scimd token create --user` issues it. */
  personToken(userName: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts the app on 127.0.0.1 with a fresh database (migrated). `now` is the sessions' clock;
 * `console` the console configuration (OIDC, session limits); `publicUrl` defaults to the listening address.
 */
export async function startConsoleApp(
  database: DatabaseConfig,
  options: {
    now?: () => Date;
    /** The console's configuration, or a function of the app's origin (to register the OIDC redirect URI first). */
    console?: ConsoleConfig | ((origin: string) => Promise<ConsoleConfig>);
    publicUrl?: string;
  } = {},
): Promise<ConsoleApp> {
  const dataSource = await openDataSource(database);
  await dataSource.runMigrations();
  const http: Server = createServer();
  await new Promise<void>((resolve) => http.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const address = http.address();
  const origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const consoleConfig = typeof options.console === 'function' ? await options.console(origin) : options.console;
  const app = createApp({
    config: {
      maxBodyBytes: 64 * 1024, publicUrl: options.publicUrl ?? origin,
      governance: { approvalMode: 'high-risk', approvalExpiryDays: 7 },
      ...(consoleConfig ? { console: consoleConfig } : {}),
    },
    dataSource, logger: createLogger('silent'), lifecycle: { shuttingDown: false },
    ...(options.now ? { now: options.now } : {}),
  });
  http.on('request', app.callback());
  const users = new UserDirectory(dataSource);
  const roles = new RoleDirectory(dataSource);
  return {
    origin, dataSource,
    async person(userName, roleIds, profile = {}) {
      const user = await users.create(OPERATOR, { profile: { userName, active: true, ...profile } });
      for (const roleId of roleIds) await roles.update(OPERATOR, roleId, { memberChanges: [{ kind: 'add', ids: [user.id] }] });
      return user.id;
    },
    async personToken(userName) {
      return (await new PersonalTokens(dataSource).create(OPERATOR, { userName })).token;
    },
    async stop() {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await dataSource.destroy();
    },
  };
}
