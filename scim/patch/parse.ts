/** Validation of a PATCH request body, the PatchOp message of RFC 7644 §3.5.2. */
import { invalidPath, invalidSyntax, invalidValue, noTarget } from '../errors';
import { parsePatchPath } from '../filter';
import { PATCH_OP_URN, type PatchOpName, type PatchOperation } from './types';
import { getKey, isPlainObject } from './values';

const OP_NAMES: readonly PatchOpName[] = ['add', 'replace', 'remove'];

/**
 * Checks the PatchOp message and returns its operations, paths parsed.
 *
 * Leniencies, all seen from real provisioning clients:
 * - member names (`schemas`, `Operations`, `op`, `path`, `value`) are matched ignoring case;
 * - `op` is matched ignoring case: Microsoft Entra ID sends `"Add"`, `"Replace"` and `"Remove"`;
 * - an empty or blank `path` counts as no path.
 *
 * Errors (all 400): `invalidSyntax` for a malformed message or unknown op, `invalidPath` for a path
 * that does not parse, `noTarget` for a remove without path (RFC 7644 §3.5.2.2), `invalidValue` for
 * an add or replace without (or with a null) value.
 */
export function parsePatchRequest(body: unknown): PatchOperation[] {
  if (!isPlainObject(body)) throw invalidSyntax('The PATCH request body must be a JSON object');

  const schemas = getKey(body, 'schemas');
  if (!Array.isArray(schemas)
    || !schemas.some((urn) => typeof urn === 'string' && urn.toLowerCase() === PATCH_OP_URN.toLowerCase())) {
    throw invalidSyntax(`The "schemas" attribute of a PATCH request must contain "${PATCH_OP_URN}"`);
  }

  const operations = getKey(body, 'Operations');
  if (!Array.isArray(operations) || operations.length === 0) {
    throw invalidSyntax('The "Operations" attribute of a PATCH request must be a non-empty array');
  }
  return operations.map((operation, index) => parseOperation(operation, index));
}

function parseOperation(operation: unknown, index: number): PatchOperation {
  const where = `Operations[${index}]`;
  if (!isPlainObject(operation)) throw invalidSyntax(`${where} must be a JSON object`);

  const rawOp = getKey(operation, 'op');
  // Compared ignoring case: Microsoft Entra ID capitalises the operation names ("Add", "Replace", "Remove").
  const op = typeof rawOp === 'string' ? OP_NAMES.find((name) => name === rawOp.toLowerCase()) : undefined;
  if (op === undefined) {
    throw invalidSyntax(`${where}: "op" must be one of "add", "replace" or "remove", got ${JSON.stringify(rawOp)}`);
  }

  const rawPath = getKey(operation, 'path');
  if (rawPath !== undefined && rawPath !== null && typeof rawPath !== 'string') {
    throw invalidPath(`${where}: "path" must be a string`);
  }
  const pathText = typeof rawPath === 'string' && rawPath.trim() !== '' ? rawPath.trim() : undefined;
  const path = pathText === undefined ? undefined : parsePatchPath(pathText);

  const value = getKey(operation, 'value');
  if (op === 'remove') {
    if (path === undefined) throw noTarget(`${where}: a "remove" operation requires a "path"`);
  } else if (value === undefined || value === null) {
    throw invalidValue(`${where}: an "${op}" operation requires a "value"`);
  }

  return {
    op,
    ...(path === undefined ? {} : { path, pathText }),
    ...(value === undefined ? {} : { value }),
  };
}
