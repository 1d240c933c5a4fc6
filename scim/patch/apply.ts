/**
 * The PATCH engine (RFC 7644 §3.5.2): applies validated operations to a resource, purely.
 *
 * Choices where the RFC leaves room, or where clients depart from it:
 * - `add` of a value already present in a multi-valued attribute changes nothing. Elements are the
 *   same when their `value` sub-attributes are equal (ignoring case unless caseExact), or when they
 *   are deep-equal.
 * - `add` through a value filter that matches nothing creates the element the filter describes when
 *   it is made of `eq` comparisons joined by `and`: `addresses[type eq "work"].locality` creates
 *   `{type: "work", locality: …}`, and a later `addresses[type eq "work"].postalCode` fills in the
 *   same element (Microsoft Entra ID sends addresses this way). Other filters: 400 noTarget.
 * - `replace` through a value filter that matches nothing is 400 noTarget (RFC 7644 §3.5.2.3).
 * - `remove` through a value filter that matches nothing is a no-op, so that a retried request
 *   succeeds; RFC 7644 §3.5.2.2 does not ask for an error.
 * - `add` and `replace` of a complex single-valued attribute merge the given sub-attributes into
 *   the existing value (RFC 7644 §3.5.2.3: "replaces any existing values or adds where an attribute
 *   did not previously exist"); a null sub-attribute unassigns it.
 * - Elements or complex values left without any sub-attribute are dropped; an attribute left
 *   without value is removed (RFC 7643 §2.5).
 * - When a value with `primary: true` is added or changed, `primary` is removed from the other
 *   values (RFC 7643 §2.4: at most one primary value).
 * - When the `value` of a complex value changes, its readOnly sub-attributes (such as
 *   `manager.displayName`) are dropped: they described the previous value.
 * - Operations without a path take an object of attribute names (`name.givenName` and
 *   URN-qualified names included, or an extension URN holding an object). In it, `id`, `meta` and
 *   `schemas` are ignored (Okta renames a group with `{"id": …, "displayName": …}`), other readOnly
 *   attributes are ignored when equal to the current value, and null unassigns an attribute (an
 *   extension URN key with null is ignored rather than taken as "remove the whole extension").
 */
import { invalidSyntax, invalidValue, mutability, noTarget, ScimError } from '../errors';
import type { Filter } from '../filter/ast';
import { matchesFilter, parsePatchPath } from '../filter';
import { COMMON_ATTRIBUTES, type ResourceSchema } from '../schema';
import type { AttributeDefinition, ScimObject } from '../schema/types';
import { coerceComplex, coerceElement, coerceSimple } from './coerce';
import {
  attributeName, checkNotReadOnly, fromResolved, type Target, targetFromPath, targetName,
} from './target';
import type { PatchOpName, PatchOperation } from './types';
import {
  deepEqual, deleteKey, findSubAttribute, getKey, isPlainObject, isUnassigned, keyOf, scalarEqual, setKey,
  toArray,
} from './values';

/**
 * Applies `operations` in order and returns the patched resource, normalized by
 * `schema.normalize` (canonical names, types checked) with the readOnly attributes of the
 * resource (`id`, `meta`, `groups`, …) kept. The input is never modified: when an operation fails,
 * its ScimError is thrown (detail prefixed with `Operations[i]`) and nothing is changed.
 */
export function applyPatch(resource: ScimObject, operations: PatchOperation[], schema: ResourceSchema): ScimObject {
  const patched = structuredClone(resource);
  operations.forEach((operation, index) => {
    try {
      applyOperation(patched, operation, schema);
    } catch (error) {
      if (error instanceof ScimError) {
        throw new ScimError(error.status, error.scimType, `Operations[${index}]: ${error.detail}`);
      }
      throw error;
    }
  });
  return finalize(patched, schema);
}

function applyOperation(root: ScimObject, operation: PatchOperation, schema: ResourceSchema): void {
  if (operation.path) {
    const target = targetFromPath(schema, operation.path, operation.pathText ?? describePath(operation));
    checkNotReadOnly(target);
    if (operation.op !== 'remove' && (operation.value === undefined || operation.value === null)) {
      throw invalidValue(`An "${operation.op}" operation requires a "value"`);
    }
    execute(root, operation.op, target, operation.value);
    return;
  }
  if (operation.op === 'remove') throw noTarget('A "remove" operation requires a "path"');
  applyWithoutPath(root, operation.op, operation.value, schema);
}

function describePath(operation: PatchOperation): string {
  const path = operation.path?.path;
  if (!path) return '';
  const name = path.uri === undefined ? path.attribute : `${path.uri}:${path.attribute}`;
  return path.subAttribute === undefined ? name : `${name}.${path.subAttribute}`;
}

/** add/replace without path (RFC 7644 §3.5.2.1, §3.5.2.3): each key is applied as a path. */
function applyWithoutPath(root: ScimObject, op: 'add' | 'replace', value: unknown, schema: ResourceSchema): void {
  if (!isPlainObject(value)) {
    throw invalidValue(`Without a "path", the value of an "${op}" operation must be an object of attribute names`);
  }
  for (const [key, item] of Object.entries(value)) {
    if (key.toLowerCase() === 'schemas') continue;
    const urn = schemaUrnOf(schema, key);
    if (urn !== undefined) {
      // `{"urn:…:enterprise:2.0:User": {"department": …}}`
      if (item === null) continue;
      if (!isPlainObject(item)) throw invalidValue(`The value of "${urn}" must be a JSON object`);
      for (const [inner, innerItem] of Object.entries(item)) applyNamed(root, op, `${urn}:${inner}`, innerItem, schema);
      continue;
    }
    applyNamed(root, op, key, item, schema);
  }
}

function schemaUrnOf(schema: ResourceSchema, key: string): string | undefined {
  const lower = key.toLowerCase();
  return [schema.coreSchema, ...schema.extensionSchemas].find((definition) => definition.id.toLowerCase() === lower)?.id;
}

/** One key of a path-less value: `displayName`, `name.givenName`, `urn:…:User:department`. */
function applyNamed(root: ScimObject, op: 'add' | 'replace', name: string, value: unknown, schema: ResourceSchema): void {
  let target: Target;
  if (name.includes('[')) {
    target = targetFromPath(schema, parsePatchPath(name), name);
  } else {
    const resolved = schema.resolveName(name);
    if (!resolved) throw invalidSyntax(`Unknown attribute "${name}" in the value of an "${op}" operation without path`);
    target = fromResolved(schema, resolved);
  }
  // id and meta belong to the service provider; clients echo them (Okta sends the id with a rename).
  if (!target.extension && COMMON_ATTRIBUTES.includes(target.attribute) && target.attribute.mutability === 'readOnly') {
    return;
  }
  if (target.attribute.mutability === 'readOnly' || target.sub?.mutability === 'readOnly') {
    if (!target.filter && deepEqual(readTarget(root, target), value)) return;
    throw mutability(`Attribute "${targetName(target)}" is readOnly and cannot be modified`);
  }
  if (value === null) {
    execute(root, 'remove', target, undefined);
    return;
  }
  execute(root, op, target, value);
}

/** Current value of the attribute, or of its sub-attribute on a single-valued complex attribute. */
function readTarget(root: ScimObject, target: Target): unknown {
  const value = read(root, target);
  if (!target.sub) return value;
  return isPlainObject(value) ? getKey(value, target.sub.name) : undefined;
}

/** One operation on one target, with the immutable and required checks around it. */
function execute(root: ScimObject, op: PatchOpName, target: Target, value: unknown): void {
  const attribute = target.attribute;
  const before: unknown = structuredClone(read(root, target));
  switch (op) {
    case 'add':
      add(root, target, value);
      break;
    case 'replace':
      replace(root, target, value);
      break;
    case 'remove':
      remove(root, target, value);
      break;
  }
  const after = read(root, target);
  if (attribute.mutability === 'immutable' && !isUnassigned(before) && !deepEqual(before, after)) {
    throw mutability(`Attribute "${attributeName(target)}" is immutable and already has a value`);
  }
  if (attribute.required && isUnassigned(after)) {
    throw invalidValue(`Attribute "${attributeName(target)}" is required and cannot be removed`);
  }
}

function add(root: ScimObject, target: Target, value: unknown): void {
  const attribute = target.attribute;
  const name = attributeName(target);
  if (target.filter) {
    upsertSelected(root, target, target.filter, value);
  } else if (attribute.multiValued && target.sub) {
    setOnEveryElement(root, target, target.sub, value);
  } else if (attribute.multiValued) {
    const list = readList(root, target);
    const added: unknown[] = [];
    for (const item of toArray(value).map((entry) => coerceElement(attribute, entry, name))) {
      if (isUnassigned(item) || list.some((existing) => sameElement(existing, item, attribute))) continue;
      list.push(item);
      added.push(item);
    }
    keepOnePrimary(list, added);
    write(root, target, list);
  } else if (attribute.type === 'complex') {
    mergeIntoSingle(root, target, value);
  } else {
    write(root, target, coerceSimple(attribute, value, name));
  }
}

function replace(root: ScimObject, target: Target, value: unknown): void {
  const attribute = target.attribute;
  const name = attributeName(target);
  if (target.filter) {
    replaceSelected(root, target, target.filter, value);
  } else if (attribute.multiValued && target.sub) {
    setOnEveryElement(root, target, target.sub, value);
  } else if (attribute.multiValued) {
    const list: unknown[] = [];
    for (const item of toArray(value).map((entry) => coerceElement(attribute, entry, name))) {
      if (!isUnassigned(item) && !list.some((existing) => sameElement(existing, item, attribute))) list.push(item);
    }
    keepOnePrimary(list, list);
    write(root, target, list);
  } else if (attribute.type === 'complex') {
    mergeIntoSingle(root, target, value);
  } else {
    write(root, target, coerceSimple(attribute, value, name));
  }
}

function remove(root: ScimObject, target: Target, value: unknown): void {
  const attribute = target.attribute;
  if (target.sub?.required) {
    throw invalidValue(`Attribute "${targetName(target)}" is required and cannot be removed`);
  }
  if (!target.sub && !target.filter && attribute.required) {
    throw invalidValue(`Attribute "${attributeName(target)}" is required and cannot be removed`);
  }

  if (target.filter) {
    const list = readList(root, target);
    const selected = new Set(selectedIndexes(list, target, target.filter));
    if (selected.size === 0) return; // nothing matches: a no-op (see the notes at the top)
    const sub = target.sub;
    const kept = sub
      ? list.map((element, index) => (selected.has(index) ? withoutSub(element, attribute, sub) : element))
      : list.filter((_element, index) => !selected.has(index));
    write(root, target, kept.filter((element) => !isUnassigned(element)));
  } else if (attribute.multiValued && target.sub) {
    const sub = target.sub;
    write(root, target, readList(root, target)
      .map((element) => withoutSub(element, attribute, sub))
      .filter((element) => !isUnassigned(element)));
  } else if (attribute.multiValued && value !== undefined && value !== null) {
    // A list of values to remove: Microsoft Entra ID removes members with
    // {"op": "Remove", "path": "members", "value": [{"value": "<id>"}]}.
    const name = attributeName(target);
    const unwanted = toArray(value).map((entry) => coerceElement(attribute, entry, name));
    write(root, target, readList(root, target)
      .filter((element) => !unwanted.some((item) => sameElement(element, item, attribute))));
  } else if (target.sub) {
    const current = read(root, target);
    if (isPlainObject(current)) write(root, target, withoutSub(current, attribute, target.sub));
  } else {
    write(root, target, undefined);
  }
}

/** add through a value filter: update the matching elements, or create the one the filter describes. */
function upsertSelected(root: ScimObject, target: Target, filter: Filter, value: unknown): void {
  const list = readList(root, target);
  const indexes = selectedIndexes(list, target, filter);
  const touched: unknown[] = [];
  if (indexes.length === 0) {
    const element = elementFromFilter(filter, target.attribute);
    if (!element) {
      throw noTarget(`No value of "${attributeName(target)}" matches "${target.label}", and the filter does not `
        + 'describe a new value (only "eq" comparisons joined by "and" do)');
    }
    updateElement(element, target, value);
    list.push(element);
    touched.push(element);
  } else {
    for (const index of indexes) {
      const element = list[index];
      if (!isPlainObject(element)) continue;
      updateElement(element, target, value);
      touched.push(element);
    }
  }
  keepOnePrimary(list, touched);
  write(root, target, list.filter((element) => !isUnassigned(element)));
}

/** replace through a value filter: the matching elements, or their sub-attribute; none is noTarget. */
function replaceSelected(root: ScimObject, target: Target, filter: Filter, value: unknown): void {
  const attribute = target.attribute;
  const list = readList(root, target);
  const indexes = selectedIndexes(list, target, filter);
  if (indexes.length === 0) throw noTarget(`No value of "${attributeName(target)}" matches "${target.label}"`);
  const touched: unknown[] = [];
  for (const index of indexes) {
    const element = list[index];
    if (!isPlainObject(element)) continue;
    if (target.sub) {
      updateElement(element, target, value);
      touched.push(element);
      continue;
    }
    const replacement = coerceElement(attribute, value, attributeName(target));
    if (!isPlainObject(replacement)) continue;
    for (const sub of attribute.subAttributes ?? []) {
      const old = getKey(element, sub.name);
      if (sub.mutability === 'immutable' && old !== undefined && !deepEqual(old, replacement[sub.name])) {
        throw mutability(`Attribute "${attributeName(target)}.${sub.name}" is immutable and already has a value`);
      }
    }
    list[index] = replacement;
    touched.push(replacement);
  }
  keepOnePrimary(list, touched);
  write(root, target, list.filter((element) => !isUnassigned(element)));
}

/** Sets the target's sub-attribute, or merges a complex value, into one element. */
function updateElement(element: ScimObject, target: Target, value: unknown): void {
  const attribute = target.attribute;
  const name = attributeName(target);
  if (target.sub) {
    setSub(element, attribute, target.sub, coerceSimple(target.sub, value, targetName(target)), name);
  } else {
    merge(element, attribute, coerceComplex(attribute, value, name), name);
  }
}

/** `emails.value` without a filter: every element; with no element yet, a new one. */
function setOnEveryElement(root: ScimObject, target: Target, sub: AttributeDefinition, value: unknown): void {
  const attribute = target.attribute;
  const list = readList(root, target);
  const coerced = coerceSimple(sub, value, targetName(target));
  if (list.length === 0) list.push({});
  for (const element of list) {
    if (isPlainObject(element)) setSub(element, attribute, sub, coerced, attributeName(target));
  }
  if (sub.name === 'primary' && coerced === true) keepOnePrimary(list, list);
  write(root, target, list);
}

function mergeIntoSingle(root: ScimObject, target: Target, value: unknown): void {
  const attribute = target.attribute;
  const current = read(root, target);
  const object: ScimObject = isPlainObject(current) ? current : {};
  if (target.sub) {
    setSub(object, attribute, target.sub, coerceSimple(target.sub, value, targetName(target)), attributeName(target));
  } else {
    merge(object, attribute, coerceComplex(attribute, value, attributeName(target)), attributeName(target));
  }
  write(root, target, object);
}

function merge(object: ScimObject, attribute: AttributeDefinition, value: ScimObject, name: string): void {
  for (const [key, item] of Object.entries(value)) {
    const sub = findSubAttribute(attribute, key);
    if (sub) setSub(object, attribute, sub, item === null ? undefined : item, name);
  }
}

/**
 * Sets (or, with undefined, unassigns) one sub-attribute of a complex value. Changing an immutable
 * sub-attribute that has a value is 400 mutability; a changed `value` drops the readOnly
 * sub-attributes that described the previous one.
 */
function setSub(
  object: ScimObject,
  attribute: AttributeDefinition,
  sub: AttributeDefinition,
  value: unknown,
  name: string,
): void {
  const old = getKey(object, sub.name);
  if (deepEqual(old, value)) {
    if (value !== undefined) setKey(object, sub.name, value);
    return;
  }
  if (sub.mutability === 'immutable' && old !== undefined) {
    throw mutability(`Attribute "${name}.${sub.name}" is immutable and already has a value`);
  }
  if (value === undefined) deleteKey(object, sub.name);
  else setKey(object, sub.name, value);
  if (sub.name === 'value' && old !== undefined) {
    for (const other of attribute.subAttributes ?? []) {
      if (other.mutability === 'readOnly') deleteKey(object, other.name);
    }
  }
}

function withoutSub(element: unknown, attribute: AttributeDefinition, sub: AttributeDefinition): unknown {
  if (!isPlainObject(element)) return element;
  setSub(element, attribute, sub, undefined, attribute.name);
  return element;
}

function selectedIndexes(list: readonly unknown[], target: Target, filter: Filter): number[] {
  const attribute = target.attribute;
  const caseExact = (path: { attribute: string }): boolean =>
    findSubAttribute(attribute, path.attribute)?.caseExact ?? false;
  const indexes: number[] = [];
  list.forEach((element, index) => {
    if (isPlainObject(element) && matchesFilter(filter, element, { caseExact })) indexes.push(index);
  });
  return indexes;
}

/** The element an `eq`/`and` filter describes: `type eq "work"` → `{type: "work"}`. */
function elementFromFilter(filter: Filter, attribute: AttributeDefinition): ScimObject | undefined {
  if (filter.kind === 'compare') {
    const sub = findSubAttribute(attribute, filter.path.attribute);
    if (filter.op !== 'eq' || filter.value === null || filter.path.subAttribute !== undefined || !sub
      || sub.mutability === 'readOnly') {
      return undefined;
    }
    return { [sub.name]: coerceSimple(sub, filter.value, `${attribute.name}.${sub.name}`) };
  }
  if (filter.kind === 'and') {
    const left = elementFromFilter(filter.left, attribute);
    const right = elementFromFilter(filter.right, attribute);
    if (!left || !right) return undefined;
    for (const [key, value] of Object.entries(right)) {
      if (Object.hasOwn(left, key) && !deepEqual(left[key], value)) return undefined;
    }
    return { ...left, ...right };
  }
  return undefined;
}

/** Whether two elements of a multi-valued attribute stand for the same value. */
function sameElement(a: unknown, b: unknown, attribute: AttributeDefinition): boolean {
  if (attribute.type !== 'complex') return scalarEqual(a, b, attribute.caseExact);
  const valueSub = findSubAttribute(attribute, 'value');
  if (valueSub && isPlainObject(a) && isPlainObject(b)) {
    const left = getKey(a, valueSub.name);
    const right = getKey(b, valueSub.name);
    if (left !== undefined && right !== undefined) return scalarEqual(left, right, valueSub.caseExact);
  }
  return deepEqual(a, b);
}

/** RFC 7643 §2.4: of the touched elements the last primary one stays primary, the others lose it. */
function keepOnePrimary(list: unknown[], touched: readonly unknown[]): void {
  const primary = [...touched].reverse().find((element) => isPlainObject(element) && getKey(element, 'primary') === true);
  if (primary === undefined) return;
  for (const element of list) {
    if (element !== primary && isPlainObject(element) && getKey(element, 'primary') === true) {
      deleteKey(element, 'primary');
    }
  }
}

/* ---- reading and writing attributes in the resource ---- */

/** The object holding the attribute: the resource, or its extension object. */
function holder(root: ScimObject, target: Target): ScimObject | undefined {
  if (!target.extension) return root;
  const key = keyOf(root, target.schemaUrn);
  const object = key === undefined ? undefined : root[key];
  if (!isPlainObject(object)) return undefined;
  if (key !== target.schemaUrn) setKey(root, target.schemaUrn, object);
  return object;
}

function read(root: ScimObject, target: Target): unknown {
  const object = holder(root, target);
  return object === undefined ? undefined : getKey(object, target.attribute.name);
}

/** The attribute's values as a list (a working copy inside the clone; write it back). */
function readList(root: ScimObject, target: Target): unknown[] {
  const value = read(root, target);
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** Stores a value under the canonical name; unassigned values remove the attribute. */
function write(root: ScimObject, target: Target, value: unknown): void {
  const name = target.attribute.name;
  if (isUnassigned(value)) {
    const object = holder(root, target);
    if (!object) return;
    deleteKey(object, name);
    if (target.extension && Object.keys(object).length === 0) deleteKey(root, target.schemaUrn);
    return;
  }
  let object = holder(root, target);
  if (!object) {
    object = {};
    setKey(root, target.schemaUrn, object);
  }
  setKey(object, name, value);
}

/* ---- normalization of the result ---- */

/**
 * Runs the patched resource through `schema.normalize` (canonical names, unknown names rejected,
 * types checked, `schemas` rebuilt), then puts back the readOnly values it drops: `id`, `meta`,
 * `groups`, readOnly extension attributes and readOnly sub-attributes such as `members.display`.
 */
function finalize(patched: ScimObject, schema: ResourceSchema): ScimObject {
  const core = schema.coreSchema;
  const extensions = schema.extensionSchemas;
  const input: ScimObject = { ...patched };
  deleteKey(input, 'schemas');
  input.schemas = [core.id, ...extensions.filter((e) => keyOf(patched, e.id) !== undefined).map((e) => e.id)];
  const normalized = schema.normalize(input, { mode: 'replace' });

  restoreReadOnly(normalized, patched, [...core.attributes, ...COMMON_ATTRIBUTES]);
  const schemas = Array.isArray(normalized.schemas) ? [...normalized.schemas] : [core.id];
  for (const extension of extensions) {
    const from = getKey(patched, extension.id);
    if (!isPlainObject(from)) continue;
    const existing = normalized[extension.id];
    const into: ScimObject = isPlainObject(existing) ? existing : {};
    restoreReadOnly(into, from, extension.attributes);
    if (Object.keys(into).length > 0) {
      normalized[extension.id] = orderLike(into, from);
      if (!schemas.includes(extension.id)) schemas.push(extension.id);
    }
  }

  const { schemas: _dropped, ...attributes } = normalized;
  // Keys keep the order they have in the patched resource, except that `schemas` comes first and
  // the extensions and `meta` come last.
  const ordered: ScimObject = { schemas, ...orderLike(attributes, patched) };
  for (const key of [...extensions.map((extension) => extension.id), 'meta']) {
    const value = ordered[key];
    if (value === undefined) continue;
    delete ordered[key];
    ordered[key] = value;
  }
  return ordered;
}

function restoreReadOnly(into: ScimObject, from: ScimObject, attributes: readonly AttributeDefinition[]): void {
  for (const attribute of attributes) {
    const value = getKey(from, attribute.name);
    if (isUnassigned(value)) continue;
    if (attribute.mutability === 'readOnly') {
      into[attribute.name] = value;
      continue;
    }
    const readOnlySubs = (attribute.subAttributes ?? []).filter((sub) => sub.mutability === 'readOnly');
    if (readOnlySubs.length === 0) continue;
    const target = into[attribute.name];
    if (!attribute.multiValued) {
      if (isPlainObject(target) && isPlainObject(value)) {
        into[attribute.name] = orderLike(copySubs(target, value, readOnlySubs), value);
      }
      continue;
    }
    if (!Array.isArray(target) || !Array.isArray(value)) continue;
    // normalize drops the elements left empty without their readOnly sub-attributes; pair the rest.
    const kept = value.filter((element) => isPlainObject(element) && Object.entries(element).some(([key, item]) =>
      !isUnassigned(item) && findSubAttribute(attribute, key)?.mutability !== 'readOnly'));
    if (kept.length !== target.length) continue;
    into[attribute.name] = target.map((element: unknown, index) => {
      const source = kept[index];
      return isPlainObject(element) && isPlainObject(source)
        ? orderLike(copySubs(element, source, readOnlySubs), source)
        : element;
    });
  }
}

function copySubs(into: ScimObject, from: ScimObject, subs: readonly AttributeDefinition[]): ScimObject {
  for (const sub of subs) {
    const value = getKey(from, sub.name);
    if (!isUnassigned(value)) into[sub.name] = value;
  }
  return into;
}

/** `object` with its keys in the order of the same keys (ignoring case) in `model`, others after. */
function orderLike(object: ScimObject, model: ScimObject): ScimObject {
  const ordered: ScimObject = {};
  for (const key of Object.keys(model)) {
    const own = keyOf(object, key);
    if (own !== undefined && !Object.hasOwn(ordered, own)) ordered[own] = object[own];
  }
  for (const [key, value] of Object.entries(object)) if (!Object.hasOwn(ordered, key)) ordered[key] = value;
  return ordered;
}
