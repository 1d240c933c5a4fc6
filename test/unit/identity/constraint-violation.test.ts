import { expect } from 'chai';
import { isForeignKeyViolation, isUniqueViolation } from '../../../src/identity/constraint-violation';

/** An error shaped as TypeORM's QueryFailedError: the driver's code copied, the driver's error beside it. */
function queryFailed(code: string, message: string): Error {
  return Object.assign(new Error(message), { code, driverError: Object.assign(new Error(message), { code }) });
}

describe('constraint violations from either driver', () => {
  it('knows a referenced row from MariaDB and from both ways SQLite reports it', () => {
    expect(isForeignKeyViolation(queryFailed('ER_ROW_IS_REFERENCED_2', 'Cannot delete or update a parent row'))).to.equal(true);
    expect(isForeignKeyViolation(queryFailed('SQLITE_CONSTRAINT_FOREIGNKEY', 'FOREIGN KEY constraint failed'))).to.equal(true);
    // ON DELETE RESTRICT: SQLite names the trigger that enforces it, with the foreign-key message.
    expect(isForeignKeyViolation(queryFailed('SQLITE_CONSTRAINT_TRIGGER', 'FOREIGN KEY constraint failed'))).to.equal(true);
  });

  it('does not take another constraint, or nothing at all, for a referenced row', () => {
    expect(isForeignKeyViolation(queryFailed('SQLITE_CONSTRAINT_TRIGGER', 'raised by a trigger of our own'))).to.equal(false);
    expect(isForeignKeyViolation(queryFailed('ER_DUP_ENTRY', "Duplicate entry 'x' for key 'name'"))).to.equal(false);
    expect(isForeignKeyViolation(undefined)).to.equal(false);
    expect(isForeignKeyViolation(new Error('FOREIGN KEY constraint failed'))).to.equal(false);
  });

  it('knows a unique violation, and not a referenced row for one', () => {
    expect(isUniqueViolation(queryFailed('ER_DUP_ENTRY', "Duplicate entry 'x' for key 'name'"))).to.equal(true);
    expect(isUniqueViolation(queryFailed('SQLITE_CONSTRAINT_UNIQUE', 'UNIQUE constraint failed: users.user_name_key'))).to.equal(true);
    expect(isUniqueViolation(queryFailed('SQLITE_CONSTRAINT_TRIGGER', 'FOREIGN KEY constraint failed'))).to.equal(false);
  });
});
