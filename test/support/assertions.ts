import { expect } from 'chai';
import { ERROR_SCHEMA, type ScimReply, type TestServer } from './test-server';

/** The tables a SCIM write can touch; a refused request must leave every one of them as it was. */
export const WRITTEN_TABLES = ['users', 'roles', 'role_members', 'audit_events'] as const;

export type TableCounts = Record<(typeof WRITTEN_TABLES)[number], number>;

export async function tableCounts(server: TestServer): Promise<TableCounts> {
  const [users, roles, roleMembers, auditEvents] = await Promise.all(WRITTEN_TABLES.map((table) => server.count(table)));
  return { users: users ?? 0, roles: roles ?? 0, role_members: roleMembers ?? 0, audit_events: auditEvents ?? 0 };
}

/**
 * Runs `request` and checks that no row was added to or removed from any table a SCIM write
 * touches. Returns the reply so the caller can look at it.
 */
export async function writesNothing(server: TestServer, request: () => Promise<ScimReply>): Promise<ScimReply> {
  const before = await tableCounts(server);
  const reply = await request();
  expect(await tableCounts(server), `rows after ${reply.status} ${reply.text.slice(0, 200)}`).to.deep.equal(before);
  return reply;
}

/**
 * Checks an error reply against RFC 7644 §3.12: the HTTP status, a SCIM media type, the Error
 * schema, `status` as a string equal to the HTTP status, a non-empty detail and, when given, the
 * scimType (when `scimType` is undefined, the body must have none). Returns the detail.
 */
export function expectScimError(reply: ScimReply, status: number, scimType?: string): string {
  const context = `${reply.status} ${reply.text.slice(0, 300)}`;
  expect(reply.status, context).to.equal(status);
  expect(reply.headers.get('content-type'), context).to.match(/^application\/scim\+json/);
  expect(reply.body.schemas, context).to.deep.equal([ERROR_SCHEMA]);
  expect(reply.body.status, context).to.equal(String(status));
  if (scimType === undefined) {
    expect(reply.body, context).to.not.have.property('scimType');
  } else {
    expect(reply.body.scimType, context).to.equal(scimType);
  }
  const detail = reply.body.detail;
  expect(detail, context).to.be.a('string');
  expect((detail as string).trim(), context).to.not.equal('');
  return detail as string;
}

/**
 * A request with full control over the bytes and headers sent, for what the SCIM client cannot
 * express: a body without Content-Type, a URL outside /scim/v2.
 */
export async function rawRequest(
  url: string,
  init: { method: string; headers?: Record<string, string>; body?: Uint8Array | string },
): Promise<ScimReply> {
  const response = await fetch(url, {
    method: init.method,
    headers: init.headers ?? {},
    ...(init.body === undefined ? {} : { body: init.body }),
  });
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = text ? JSON.parse(text) as Record<string, unknown> : {};
  } catch {
    body = {};
  }
  return { status: response.status, headers: response.headers, body, text };
}

/** Rows of a query, typed loosely: both drivers return plain objects keyed by column name. */
export async function rows(server: TestServer, sql: string, parameters: unknown[] = []): Promise<Record<string, unknown>[]> {
  return await server.running.dataSource.query(sql, parameters) as Record<string, unknown>[];
}
