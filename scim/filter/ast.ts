/**
 * Abstract syntax of a SCIM filter (RFC 7644 §3.4.2.2) and of a PATCH path (§3.5.2).
 * Attribute names are kept as written; resolving them against a schema (case-insensitively,
 * with or without a schema URN) is the job of the caller, so the parser stays schema-free.
 */

export type CompareOperator = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';

/** compValue = false / null / true / number / string (RFC 7644 §3.4.2.2, JSON literals). */
export type FilterValue = string | number | boolean | null;

/** attrPath = [URI ":"] ATTRNAME *1subAttr */
export interface AttributePath {
  /** Schema URN prefix without the trailing colon, e.g. `urn:ietf:params:scim:schemas:core:2.0:User`. */
  readonly uri?: string;
  readonly attribute: string;
  readonly subAttribute?: string;
}

export type Filter =
  | { readonly kind: 'compare'; readonly path: AttributePath; readonly op: CompareOperator; readonly value: FilterValue }
  | { readonly kind: 'present'; readonly path: AttributePath }
  | { readonly kind: 'and'; readonly left: Filter; readonly right: Filter }
  | { readonly kind: 'or'; readonly left: Filter; readonly right: Filter }
  | { readonly kind: 'not'; readonly filter: Filter }
  /**
   * valuePath = attrPath "[" valFilter "]". Paths inside `filter` are relative to the
   * multi-valued attribute (`emails[type eq "work"]` has `filter.path.attribute === "type"`).
   */
  | { readonly kind: 'valuePath'; readonly path: AttributePath; readonly filter: Filter };

/** PATCH path = attrPath / valuePath [subAttr] (RFC 7644 §3.5.2). */
export interface PatchPath {
  readonly path: AttributePath;
  /** Present when the path selects values of a multi-valued attribute: `emails[type eq "work"]`. */
  readonly filter?: Filter;
  /** The sub-attribute after a value filter: `.value` in `emails[type eq "work"].value`. */
  readonly subAttribute?: string;
}
