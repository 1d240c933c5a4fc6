import { readFileSync } from 'node:fs';
import type { BenchData, BenchRequest } from './load';
import { PATCH_OP, SCIM, USER_SCHEMA, userNameOf, workEmailOf } from './names';

/**
 * autocannon `setupRequest` for every dynamic scenario. autocannon runs in a worker thread (so the
 * load generator does not share the servers' event loop) and loads this file there by path; the
 * seeded ids come from the JSON file named by SCIMD_BENCH_DATA, read once per worker.
 */
let data: BenchData | undefined;
let created = 0;
let patched = 0;
let nextSpare = 0;

function load(): BenchData {
  if (!data) {
    const file = process.env.SCIMD_BENCH_DATA;
    if (!file) throw new Error('SCIMD_BENCH_DATA is not set');
    data = JSON.parse(readFileSync(file, 'utf8')) as BenchData;
  }
  return data;
}

function randomIndex(): number {
  return Math.floor(Math.random() * load().ids.length);
}

const filterPath = (filter: string) => `${SCIM}/Users?filter=${encodeURIComponent(filter)}`;

function setupRequest(request: BenchRequest): BenchRequest {
  switch (request.scenario) {
    case 'user-by-id':
      return { ...request, path: `${SCIM}/Users/${load().ids[randomIndex()]}` };
    case 'user-by-username':
      return { ...request, path: filterPath(`userName eq "${userNameOf(randomIndex())}"`) };
    case 'user-by-email':
      return { ...request, path: filterPath(`emails[type eq "work"].value eq "${workEmailOf(randomIndex())}"`) };
    case 'create-user': {
      const n = ++created;
      const userName = `bench.post.${request.runTag ?? 'x'}.${n}@example.com`;
      return {
        ...request,
        body: JSON.stringify({
          schemas: [USER_SCHEMA], userName, name: { givenName: 'Post', familyName: `User ${n}` },
          displayName: `Post User ${n}`, title: 'Engineer',
          emails: [{ value: `post.${request.runTag ?? 'x'}.${n}@corp.example.com`, type: 'work', primary: true }],
        }),
      };
    }
    case 'patch-user-title':
      return {
        ...request,
        path: `${SCIM}/Users/${load().ids[randomIndex()]}`,
        body: JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: `Title ${++patched}` }] }),
      };
    case 'add-member': {
      const spare = load().spareIds;
      // Wraps around only when the run outlasts the pool; the bench counts real additions and says so.
      const userId = spare[((request.spareOffset ?? 0) + nextSpare++) % spare.length];
      return {
        ...request,
        path: `${SCIM}/Groups/${request.groupId ?? ''}`,
        body: JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: userId }] }] }),
      };
    }
    case 'floor-read':
      return { ...request, path: `/users/${encodeURIComponent(userNameOf(randomIndex()))}` };
    default:
      throw new Error(`Unknown bench scenario "${request.scenario}"`);
  }
}

export = setupRequest;
