/**
 * The examples of RFC 7644 §3.5.2, one JSON file each next to this test
 * (`rfc7644-<section>-<what>.json`): a PatchOp request against the User or Group of `helpers.ts`,
 * with either the changed top-level attributes (null: removed) or the expected error.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ScimType } from '../../../../scim/errors';
import { applyPatch, parsePatchRequest } from '../../../../scim/patch';
import type { ScimObject } from '../../../../scim/schema';
import { changed, expectScimError, type Kind, resourceOf, schemaOf } from './helpers';

interface Example {
  readonly description: string;
  readonly resource: Kind;
  readonly given?: ScimObject;
  readonly request: unknown;
  readonly changes?: ScimObject;
  readonly error?: { readonly status: number; readonly scimType: ScimType };
}

const files = readdirSync(__dirname).filter((file) => /^rfc7644-.*\.json$/.test(file)).sort();

function nullsToUndefined(changes: ScimObject): ScimObject {
  return Object.fromEntries(Object.entries(changes).map(([key, value]) => [key, value === null ? undefined : value]));
}

describe('RFC 7644 §3.5.2 examples', () => {
  it('are present', () => {
    expect(files.length).to.be.greaterThan(10);
  });

  for (const file of files) {
    const example = JSON.parse(readFileSync(join(__dirname, file), 'utf8')) as Example;
    it(`${file}: ${example.description}`, () => {
      const resource = { ...resourceOf(example.resource), ...example.given };
      const run = (): ScimObject => applyPatch(resource, parsePatchRequest(example.request), schemaOf(example.resource));
      if (example.error) {
        expectScimError(run, example.error.status, example.error.scimType);
        return;
      }
      expect(example.changes, 'an example needs "changes" or "error"').to.be.an('object');
      expect(run()).to.deep.equal(changed(resource, nullsToUndefined(example.changes ?? {})));
    });
  }
});
