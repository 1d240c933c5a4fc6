import { invalidError } from '../errors';
import type { Comparison, Condition, ConditionValue } from './query';

/**
 * Turns a Condition into one SQL boolean expression with named parameters. This is the one place
 * where filters become SQL; each resource type describes its fields with a FieldMap.
 * Every leaf is null-safe (`col IS NOT NULL AND …`) so that NOT (…) never lets NULLs through.
 */
export type FieldType = 'string' | 'boolean' | 'dateTime' | 'integer' | 'presence';

export interface ScalarField {
  readonly type: FieldType;
  /** SQL expression, e.g. `u.user_name_key`. */
  readonly column: string;
  /** false: compare case-insensitively (RFC 7643 §2.2 caseExact). */
  readonly caseExact: boolean;
  /** The column already holds the lower-cased value (an indexed *_key column). */
  readonly folded?: boolean;
  /** How an operand is folded to compare with a folded column, when lower-casing is not the whole fold. */
  readonly fold?: (value: string, op: Comparison) => string;
}

/** A complex or unindexed attribute that can only be tested with `pr`: `column` is the SQL test. */
export const presenceOnly = (test: string): ScalarField => ({ type: 'presence', column: test, caseExact: true });

export interface CollectionField {
  readonly table: string;
  readonly alias: string;
  /** Column of the collection table that points at the owner row. */
  readonly ownerColumn: string;
  /** Extra fixed restriction, e.g. `v.attribute = 'emails'`. */
  readonly scope: string;
  /** Sub-field used when the collection itself is compared (`emails eq "x"` compares `value`). */
  readonly defaultSubField: string;
  readonly subFields: Readonly<Record<string, ScalarField>>;
}

export interface FieldMap {
  /** SQL expression of the owner's id, e.g. `u.id`. */
  readonly ownerId: string;
  readonly scalars: Readonly<Record<string, ScalarField>>;
  readonly collections: Readonly<Record<string, CollectionField>>;
}

const LIKE_ESCAPE = '!';
const escapeLike = (text: string): string => text.replace(/[!%_]/g, (ch) => `${LIKE_ESCAPE}${ch}`);

export class SqlConditionBuilder {
  readonly params: Record<string, string | number | null> = {};
  private counter = 0;

  constructor(private readonly fields: FieldMap) {}

  render(condition: Condition): string {
    return this.renderIn(condition, this.fields.scalars, undefined);
  }

  private renderIn(
    condition: Condition,
    scalars: Readonly<Record<string, ScalarField>>,
    collection: CollectionField | undefined,
  ): string {
    switch (condition.kind) {
      case 'and':
        return `(${this.renderIn(condition.left, scalars, collection)} AND ${this.renderIn(condition.right, scalars, collection)})`;
      case 'or':
        return `(${this.renderIn(condition.left, scalars, collection)} OR ${this.renderIn(condition.right, scalars, collection)})`;
      case 'not':
        return `(NOT ${this.renderIn(condition.condition, scalars, collection)})`;
      case 'any': {
        if (collection) throw invalidError('A value filter cannot be nested inside another value filter');
        const target = this.collection(condition.field);
        return this.exists(target, this.renderIn(condition.where, target.subFields, target));
      }
      case 'present':
      case 'compare': {
        const scalar = scalars[condition.field];
        if (scalar) return this.leaf(condition, scalar);
        if (!collection) {
          const dotted = splitCollectionField(condition.field, this.fields.collections);
          if (dotted) {
            const [target, sub] = dotted;
            const subField = sub === undefined ? target.subFields[target.defaultSubField] : target.subFields[sub];
            if (subField) {
              const inner = condition.kind === 'present' && sub === undefined
                ? '1 = 1'
                : this.leaf({ ...condition, field: sub ?? target.defaultSubField }, subField);
              return this.exists(target, inner);
            }
          }
        }
        throw invalidError(`Attribute "${condition.field}" cannot be used in a filter`);
      }
    }
  }

  private collection(field: string): CollectionField {
    const target = this.fields.collections[field];
    if (!target) throw invalidError(`Attribute "${field}" is not a filterable multi-valued attribute`);
    return target;
  }

  private exists(target: CollectionField, inner: string): string {
    return `EXISTS (SELECT 1 FROM ${target.table} ${target.alias} WHERE ${target.alias}.${target.ownerColumn} = `
      + `${this.fields.ownerId} AND ${target.scope} AND ${inner})`;
  }

  private leaf(condition: Extract<Condition, { kind: 'compare' | 'present' }>, field: ScalarField): string {
    if (field.type === 'presence') {
      if (condition.kind !== 'present') throw invalidError(`Attribute "${condition.field}" can only be tested with pr`);
      return field.column;
    }
    if (condition.kind === 'present') {
      return field.type === 'string'
        ? `(${field.column} IS NOT NULL AND ${field.column} <> '')`
        : `${field.column} IS NOT NULL`;
    }
    const { op, value } = condition;
    if (value === null) {
      // `attr eq null` is how some clients ask for "not present" (RFC 7644 §3.4.2.2 allows null literals).
      if (op === 'eq') return `${field.column} IS NULL`;
      if (op === 'ne') return `${field.column} IS NOT NULL`;
      throw invalidError(`Operator "${op}" cannot compare with null`);
    }
    switch (field.type) {
      case 'boolean':
        return this.booleanLeaf(condition.field, field, op, value);
      case 'integer':
        if (typeof value !== 'number') throw invalidError(`Attribute "${condition.field}" is a number`);
        return this.ordered(field.column, op, value, condition.field);
      case 'dateTime':
        return this.ordered(field.column, op, toInstant(condition.field, value), condition.field);
      case 'string':
        return this.stringLeaf(condition.field, field, op, value);
      default:
        throw invalidError(`Attribute "${condition.field}" can only be tested with pr`);
    }
  }

  private booleanLeaf(name: string, field: ScalarField, op: Comparison, value: ConditionValue): string {
    if (typeof value !== 'boolean') throw invalidError(`Attribute "${name}" is a boolean; compare it with true or false`);
    if (op !== 'eq' && op !== 'ne') throw invalidError(`Operator "${op}" does not apply to boolean attribute "${name}"`);
    const p = this.param(value ? 1 : 0);
    return op === 'eq' ? `${field.column} = ${p}` : `(${field.column} IS NULL OR ${field.column} <> ${p})`;
  }

  private stringLeaf(name: string, field: ScalarField, op: Comparison, value: ConditionValue): string {
    if (typeof value !== 'string') throw invalidError(`Attribute "${name}" is a string; compare it with a quoted value`);
    const folded = !field.caseExact;
    const column = folded && !field.folded ? `LOWER(${field.column})` : field.column;
    const text = !folded ? value : field.fold ? field.fold(value, op) : value.toLowerCase();
    switch (op) {
      case 'co': return `${column} LIKE ${this.param(`%${escapeLike(text)}%`)} ESCAPE '${LIKE_ESCAPE}'`;
      case 'sw': return `${column} LIKE ${this.param(`${escapeLike(text)}%`)} ESCAPE '${LIKE_ESCAPE}'`;
      case 'ew': return `${column} LIKE ${this.param(`%${escapeLike(text)}`)} ESCAPE '${LIKE_ESCAPE}'`;
      default: return this.ordered(column, op, text, name);
    }
  }

  private ordered(column: string, op: Comparison, value: string | number, name: string): string {
    const p = this.param(value);
    switch (op) {
      case 'eq': return `${column} = ${p}`;
      case 'ne': return `(${column} IS NULL OR ${column} <> ${p})`;
      case 'gt': return `${column} > ${p}`;
      case 'ge': return `${column} >= ${p}`;
      case 'lt': return `${column} < ${p}`;
      case 'le': return `${column} <= ${p}`;
      default: throw invalidError(`Operator "${op}" does not apply to attribute "${name}"`);
    }
  }

  private param(value: string | number): string {
    const name = `f${this.counter++}`;
    this.params[name] = value;
    return `:${name}`;
  }
}

function splitCollectionField(
  field: string,
  collections: Readonly<Record<string, CollectionField>>,
): [CollectionField, string | undefined] | undefined {
  const dot = field.indexOf('.');
  const head = dot < 0 ? field : field.slice(0, dot);
  const target = collections[head];
  if (!target) return undefined;
  return [target, dot < 0 ? undefined : field.slice(dot + 1)];
}

/** dateTime values are stored as ISO 8601 UTC text, so comparisons normalise the operand the same way. */
function toInstant(name: string, value: ConditionValue): string {
  const time = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(time)) throw invalidError(`Attribute "${name}" is a dateTime; compare it with an ISO 8601 string`);
  return new Date(time).toISOString();
}
