/**
 * Replays recorded identity-provider exchanges (`fixtures/<client>/*.json`) over real HTTP against a
 * fresh scimd, one fixture per test, on every test database.
 *
 * A fixture is `{"description", "quirk", "source"?, "requestHeaders"?, "steps": [...]}`; each step is
 * `{"note"?, "request": {"method", "path", "headers"?, "body"?}, "response": {"status", "body"?,
 * "headers"?}, "capture"?: {"name": "where"}}`.
 *
 * Requests: `path` is relative to the SCIM base URL and sent as written (spaces and quotes are
 * percent-encoded by the URL parser, `+` stays `+`). Every request carries the fixture's bearer
 * token and, with a body, `Content-Type: application/scim+json`; the fixture's `requestHeaders` and
 * then the step's `headers` override them, and a header given as `null` is not sent at all.
 * `{{name}}` in any request string is replaced by a captured value (`{{baseUrl}}` is predefined).
 *
 * Responses: `status` must be equal. `body` is matched with deep-include semantics: every key of an
 * expected object must match (other keys of the actual object are ignored), scalars must be equal,
 * and arrays must have the same length and match element by element, unless their first element is
 * `"{{unordered}}"` (same length, any order) or `"{{contains}}"` (the listed elements are among the
 * actual ones). In expected strings, `{{any}}` matches anything (a whole value when it is the whole
 * string), `{{name}}` a captured value, `{{not:name}}` any value but the captured one, and an object
 * key whose expected value is `"{{absent}}"` must be missing. Expected `headers` are matched the
 * same way against the response headers (names ignore case); `"{{absent}}"` means not sent.
 *
 * Captures run after the status check and before the matching, so a step may refer to what it
 * captures (`{{etag}}`): `where` is `header:<name>`, a JSON Pointer (`/Resources/0/id`) or a dotted
 * path (`meta.version`).
 *
 * Checks made on every response, whatever the fixture says, because every IdP relies on them:
 * a body is sent as `application/scim+json`; 204 and 304 have no body; 4xx/5xx bodies are SCIM
 * errors (RFC 7644 §3.12: the Error schema, `status` as a string equal to the HTTP status, a
 * non-empty `detail`); 201 carries a `Location` equal to `meta.location`; a response holding one
 * resource with `meta.version` carries that version as its `ETag`.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { testDatabases } from '../support/databases';
import { ERROR_SCHEMA, TestServer } from '../support/test-server';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export interface FixtureRequest {
  readonly method: string;
  readonly path: string;
  readonly headers?: Readonly<Record<string, string | null>>;
  readonly body?: Json;
}

export interface FixtureResponse {
  readonly status: number;
  readonly body?: Json;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface FixtureStep {
  readonly note?: string;
  readonly request: FixtureRequest;
  readonly response: FixtureResponse;
  readonly capture?: Readonly<Record<string, string>>;
}

export interface Fixture {
  readonly description: string;
  readonly quirk: string;
  readonly source?: string;
  readonly requestHeaders?: Readonly<Record<string, string | null>>;
  readonly steps: readonly FixtureStep[];
}

export interface LoadedFixture {
  readonly file: string;
  readonly fixture: Fixture;
}

const SCIM_MEDIA_TYPE = /^application\/scim\+json\b/;

/** Every `*.json` file of `directory`, sorted by name, checked for the fixture shape. */
export function loadFixtures(directory: string): LoadedFixture[] {
  return readdirSync(directory).filter((file) => file.endsWith('.json')).sort().map((file) => {
    const parsed = JSON.parse(readFileSync(path.join(directory, file), 'utf8')) as Json;
    return { file, fixture: checkFixture(parsed, file) };
  });
}

/**
 * One mocha suite per test database for a client's fixture folder: each fixture is replayed against
 * its own fresh server, with a token of an account named `account` holding SCIM Provisioning.
 */
export function describeClient(client: string, folder: string, account: string): void {
  const fixtures = loadFixtures(path.join(__dirname, 'fixtures', folder));
  for (const database of testDatabases()) {
    describe(`${client} exchanges replayed on ${database.name}`, () => {
      it('has fixtures to replay', () => {
        expect(fixtures.length).to.be.greaterThan(5);
      });

      for (const { file, fixture } of fixtures) {
        it(`${file}: ${fixture.description}`, async () => {
          const server = await TestServer.start(await database.fresh());
          try {
            await replay(fixture, server.baseUrl, await server.token(account, ['SCIM Provisioning']));
          } finally {
            await server.stop();
          }
        });
      }
    });
  }
}

/** Sends each step's request in order and checks its response; throws at the first mismatch. */
export async function replay(fixture: Fixture, baseUrl: string, token: string): Promise<void> {
  const variables = new Map<string, Json>([['baseUrl', baseUrl]]);
  for (const [index, step] of fixture.steps.entries()) {
    const label = `step ${index + 1} (${step.request.method} ${step.request.path})${step.note ? ` — ${step.note}` : ''}`;
    const reply = await send(step.request, baseUrl, token, fixture.requestHeaders ?? {}, variables, label);
    const context = `${label}: got ${reply.status} ${reply.text.slice(0, 1500)}`;
    expect(reply.status, context).to.equal(step.response.status);

    for (const [name, where] of Object.entries(step.capture ?? {})) {
      const value = where.toLowerCase().startsWith('header:')
        ? reply.headers.get(where.slice('header:'.length))
        : pick(reply.body, where);
      expect(value, `${context}\ncapture "${name}" from ${where}`).to.not.equal(undefined);
      expect(value, `${context}\ncapture "${name}" from ${where}`).to.not.equal(null);
      variables.set(name, value as Json);
    }

    checkInvariants(reply, context);
    const problems: string[] = [];
    if (step.response.body !== undefined) {
      matchValue(step.response.body, reply.body, variables, 'body', problems);
    }
    for (const [name, expected] of Object.entries(step.response.headers ?? {})) {
      const actual = reply.headers.get(name);
      if (expected === '{{absent}}') {
        if (actual !== null) problems.push(`header ${name}: expected none, got ${JSON.stringify(actual)}`);
      } else if (actual === null) {
        problems.push(`header ${name}: missing`);
      } else {
        matchValue(expected, actual, variables, `header ${name}`, problems);
      }
    }
    expect(problems, context).to.deep.equal([]);
  }
}

interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The parsed body; undefined when empty or not JSON. */
  readonly body: Json | undefined;
}

async function send(
  request: FixtureRequest,
  baseUrl: string,
  token: string,
  fixtureHeaders: Readonly<Record<string, string | null>>,
  variables: ReadonlyMap<string, Json>,
  label: string,
): Promise<Reply> {
  const body = request.body === undefined ? undefined : JSON.stringify(substitute(request.body, variables, label));
  const headers = new Map<string, string | null>([['authorization', `Bearer ${token}`]]);
  if (body !== undefined) headers.set('content-type', 'application/scim+json');
  for (const [name, value] of [...Object.entries(fixtureHeaders), ...Object.entries(request.headers ?? {})]) {
    headers.set(name.toLowerCase(), value === null ? null : String(substitute(value, variables, label)));
  }
  if (body === undefined) headers.delete('content-type');
  const sent: Record<string, string> = {};
  for (const [name, value] of headers) if (value !== null) sent[name] = value;

  const response = await fetch(`${baseUrl}${String(substitute(request.path, variables, label))}`, {
    method: request.method,
    headers: sent,
    ...(body === undefined ? {} : { body }),
  });
  const text = await response.text();
  let parsed: Json | undefined;
  try {
    parsed = text === '' ? undefined : JSON.parse(text) as Json;
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, text, body: parsed };
}

/** Replaces `{{name}}` in every string of a request value; an unknown name is a fixture error. */
function substitute(value: Json, variables: ReadonlyMap<string, Json>, label: string): Json {
  if (typeof value === 'string') {
    const whole = /^\{\{([\w.-]+)\}\}$/.exec(value);
    if (whole?.[1] !== undefined) return lookup(variables, whole[1], label);
    return value.replace(/\{\{([\w.-]+)\}\}/g, (_match, name: string) => {
      const found = lookup(variables, name, label);
      return typeof found === 'string' ? found : JSON.stringify(found);
    });
  }
  if (Array.isArray(value)) return value.map((item) => substitute(item, variables, label));
  if (isObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substitute(item, variables, label)]));
  }
  return value;
}

function lookup(variables: ReadonlyMap<string, Json>, name: string, label: string): Json {
  const value = variables.get(name);
  if (value === undefined) throw new Error(`${label}: {{${name}}} was not captured by an earlier step`);
  return value;
}

/** The checks every response must pass (see the notes at the top). */
function checkInvariants(reply: Reply, context: string): void {
  if (reply.status === 204 || reply.status === 304) {
    expect(reply.text, `${context}\n${reply.status} must have no body`).to.equal('');
    return;
  }
  if (reply.text !== '') {
    expect(reply.headers.get('content-type'), `${context}\ncontent type`).to.match(SCIM_MEDIA_TYPE);
  }
  const body = reply.body;
  if (reply.status >= 400) {
    expect(body, `${context}\nerror body`).to.be.an('object');
    const error = isObject(body) ? body : {};
    expect(error.schemas, `${context}\nerror schemas`).to.deep.equal([ERROR_SCHEMA]);
    expect(error.status, `${context}\nerror status`).to.equal(String(reply.status));
    expect(error.detail, `${context}\nerror detail`).to.be.a('string').and.match(/\S/);
    return;
  }
  const meta = isObject(body) && isObject(body.meta) ? body.meta : undefined;
  if (reply.status === 201) {
    expect(reply.headers.get('location'), `${context}\nLocation of a 201`).to.be.a('string');
    expect(reply.headers.get('location'), `${context}\nLocation equals meta.location`).to.equal(meta?.location);
  }
  if (typeof meta?.version === 'string') {
    expect(reply.headers.get('etag'), `${context}\nETag equals meta.version`).to.equal(meta.version);
  }
}

/** Deep-include matching; appends a line per mismatch to `problems`. */
function matchValue(expected: Json, actual: Json | undefined, variables: ReadonlyMap<string, Json>, at: string,
  problems: string[]): void {
  if (typeof expected === 'string') {
    matchString(expected, actual, variables, at, problems);
    return;
  }
  if (Array.isArray(expected)) {
    matchArray(expected, actual, variables, at, problems);
    return;
  }
  if (isObject(expected)) {
    if (!isObject(actual)) {
      problems.push(`${at}: expected an object, got ${show(actual)}`);
      return;
    }
    for (const [key, value] of Object.entries(expected)) {
      const where = `${at}.${key}`;
      if (value === '{{absent}}') {
        if (Object.hasOwn(actual, key)) problems.push(`${where}: expected to be absent, got ${show(actual[key])}`);
      } else if (!Object.hasOwn(actual, key)) {
        problems.push(`${where}: missing (expected ${show(value)})`);
      } else {
        matchValue(value, actual[key], variables, where, problems);
      }
    }
    return;
  }
  if (expected !== actual) problems.push(`${at}: expected ${show(expected)}, got ${show(actual)}`);
}

function matchString(expected: string, actual: Json | undefined, variables: ReadonlyMap<string, Json>, at: string,
  problems: string[]): void {
  if (expected === '{{any}}') {
    if (actual === undefined) problems.push(`${at}: missing`);
    return;
  }
  const not = /^\{\{not:([\w.-]+)\}\}$/.exec(expected);
  if (not?.[1] !== undefined) {
    const other = variables.get(not[1]);
    if (other === undefined) problems.push(`${at}: {{${not[1]}}} was not captured`);
    else if (actual === undefined || JSON.stringify(actual) === JSON.stringify(other)) {
      problems.push(`${at}: expected a value other than ${show(other)}, got ${show(actual)}`);
    }
    return;
  }
  const whole = /^\{\{([\w.-]+)\}\}$/.exec(expected);
  if (whole?.[1] !== undefined && !['unordered', 'contains', 'absent'].includes(whole[1])) {
    const value = variables.get(whole[1]);
    if (value === undefined) problems.push(`${at}: {{${whole[1]}}} was not captured`);
    else if (JSON.stringify(value) !== JSON.stringify(actual)) {
      problems.push(`${at}: expected ${show(value)} ({{${whole[1]}}}), got ${show(actual)}`);
    }
    return;
  }
  if (typeof actual !== 'string') {
    problems.push(`${at}: expected ${show(expected)}, got ${show(actual)}`);
    return;
  }
  let unknown: string | undefined;
  const pattern = expected.split(/(\{\{[\w.:-]+\}\})/).map((part) => {
    const name = /^\{\{([\w.:-]+)\}\}$/.exec(part)?.[1];
    if (name === undefined) return escapeRegExp(part);
    if (name === 'any') return '[\\s\\S]*';
    const value = variables.get(name);
    if (value === undefined) {
      unknown = name;
      return '';
    }
    return escapeRegExp(typeof value === 'string' ? value : JSON.stringify(value));
  }).join('');
  if (unknown !== undefined) problems.push(`${at}: {{${unknown}}} was not captured`);
  else if (!new RegExp(`^${pattern}$`).test(actual)) problems.push(`${at}: expected ${show(expected)}, got ${show(actual)}`);
}

function matchArray(expected: Json[], actual: Json | undefined, variables: ReadonlyMap<string, Json>, at: string,
  problems: string[]): void {
  if (!Array.isArray(actual)) {
    problems.push(`${at}: expected an array, got ${show(actual)}`);
    return;
  }
  const mode = expected[0] === '{{unordered}}' || expected[0] === '{{contains}}' ? expected[0] : 'ordered';
  const items = mode === 'ordered' ? expected : expected.slice(1);
  if (mode !== '{{contains}}' && items.length !== actual.length) {
    problems.push(`${at}: expected ${items.length} element(s), got ${actual.length}: ${show(actual)}`);
    return;
  }
  if (mode === 'ordered') {
    items.forEach((item, index) => matchValue(item, actual[index], variables, `${at}[${index}]`, problems));
    return;
  }
  // Each expected element needs its own actual element: a small backtracking search.
  const fits = items.map((item) => actual.map((candidate) => {
    const found: string[] = [];
    matchValue(item, candidate, variables, at, found);
    return found.length === 0;
  }));
  const used = new Set<number>();
  const assign = (index: number): boolean => {
    if (index === items.length) return true;
    for (let candidate = 0; candidate < actual.length; candidate++) {
      if (used.has(candidate) || !fits[index]?.[candidate]) continue;
      used.add(candidate);
      if (assign(index + 1)) return true;
      used.delete(candidate);
    }
    return false;
  };
  if (!assign(0)) {
    const missing = items.filter((_item, index) => !(fits[index] ?? []).some(Boolean));
    problems.push(`${at}: no ${mode === '{{contains}}' ? 'subset' : 'ordering'} of ${show(actual)} matches `
      + `${show(items)}${missing.length > 0 ? `; nothing matches ${show(missing)}` : ''}`);
  }
}

/** `header:` aside, a JSON Pointer (`/a/0/b`) or a dotted path (`a.0.b`) into the body. */
function pick(body: Json | undefined, where: string): Json | undefined {
  const parts = where.startsWith('/')
    ? where.slice(1).split('/').map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    : where.split('.');
  let current: Json | undefined = body;
  for (const part of parts) {
    if (Array.isArray(current)) current = current[Number(part)];
    else if (isObject(current)) current = Object.hasOwn(current, part) ? current[part] : undefined;
    else return undefined;
  }
  return current;
}

function checkFixture(value: Json, file: string): Fixture {
  const fail = (why: string): never => {
    throw new Error(`fixture ${file}: ${why}`);
  };
  if (!isObject(value)) return fail('must be a JSON object');
  if (typeof value.description !== 'string' || value.description === '') fail('needs a "description"');
  if (typeof value.quirk !== 'string' || value.quirk === '') fail('needs a "quirk"');
  if (!Array.isArray(value.steps) || value.steps.length === 0) fail('needs a non-empty "steps" array');
  const steps = Array.isArray(value.steps) ? value.steps : [];
  steps.forEach((step, index) => {
    const request = isObject(step) ? step.request : undefined;
    const response = isObject(step) ? step.response : undefined;
    if (!isObject(request) || typeof request.method !== 'string' || typeof request.path !== 'string'
      || !request.path.startsWith('/')) {
      fail(`steps[${index}].request needs a "method" and a "path" starting with "/"`);
    }
    if (!isObject(response) || typeof response.status !== 'number') fail(`steps[${index}].response needs a "status"`);
    const capture = isObject(step) ? step.capture : undefined;
    if (capture !== undefined && (!isObject(capture) || !Object.values(capture).every((where) => typeof where === 'string'))) {
      fail(`steps[${index}].capture must map names to strings`);
    }
  });
  return value as unknown as Fixture;
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function show(value: Json | undefined): string {
  const text = value === undefined ? 'nothing' : JSON.stringify(value);
  return text.length > 400 ? `${text.slice(0, 400)}…` : text;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
