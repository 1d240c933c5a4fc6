/**
 * LDAP controls Active Directory understands that ldapts does not ship.
 * A control without a value only needs its OID and criticality, which the base class writes.
 */
import { Control } from 'ldapts';

/** LDAP_SERVER_SHOW_DELETED_OID: searches also return tombstones (deleted objects, `isDeleted: TRUE`). */
export class ShowDeletedControl extends Control {
  static readonly type = '1.2.840.113556.1.4.417';

  constructor(options: { critical?: boolean } = {}) {
    super(ShowDeletedControl.type, { critical: options.critical ?? true });
  }
}

/** LDAP_SERVER_TREE_DELETE_OID: a delete removes the entry and everything below it. */
export class TreeDeleteControl extends Control {
  static readonly type = '1.2.840.113556.1.4.805';

  constructor(options: { critical?: boolean } = {}) {
    super(TreeDeleteControl.type, { critical: options.critical ?? true });
  }
}
