import { expect } from 'chai';
import { DomainError } from '../../../src/errors';
import type { RoleDefinition } from '../../../src/identity/role-model';
import { checkDefinition, MAX_MANAGED_ROLES } from '../../../src/identity/roles';

/** The 400 a definition is refused with, or undefined when it is accepted. */
function refusal(definition: Partial<RoleDefinition>): string | undefined {
  try {
    checkDefinition(definition);
    return undefined;
  } catch (error) {
    expect(error).to.be.instanceOf(DomainError);
    expect(error).to.include({ kind: 'invalid' });
    return (error as Error).message;
  }
}

/** A definition as a JSON body delivers it: any value in any field. */
const untyped = (definition: Record<string, unknown>): Partial<RoleDefinition> => definition as Partial<RoleDefinition>;

describe('checkDefinition', () => {
  it('accepts catalogue permissions, `*`, each risk, holder kind and managed mode, and an empty definition', () => {
    expect(refusal({})).to.equal(undefined);
    expect(refusal({ permissions: ['users:read', 'roles:manage', '*'] })).to.equal(undefined);
    for (const risk of ['normal', 'high'] as const) expect(refusal({ risk })).to.equal(undefined);
    for (const assignableTo of ['person', 'service', 'any'] as const) expect(refusal({ assignableTo })).to.equal(undefined);
    for (const manages of ['all', 'none', 'selected'] as const) expect(refusal({ manages })).to.equal(undefined);
    expect(refusal({ manages: 'selected', managedRoles: ['r1', 'r2'] })).to.equal(undefined);
    expect(refusal({ managedRoles: ['r1'] })).to.equal(undefined);
  });

  it('refuses a permission outside the catalogue, naming it', () => {
    expect(refusal({ permissions: ['users:read', 'users:delete'] })).to.match(/^Unknown permission\(s\) "users:delete";/);
    expect(refusal({ permissions: ['Users:Read'] })).to.match(/"Users:Read"/);
  });

  it('refuses values of the wrong type with the field named', () => {
    expect(refusal(untyped({ permissions: 'users:read' }))).to.equal('permissions must be an array of permission names');
    expect(refusal(untyped({ permissions: [1] }))).to.equal('permissions must be an array of permission names');
    expect(refusal(untyped({ managedRoles: 'r1' }))).to.equal('managedRoles must be an array of role ids');
    expect(refusal(untyped({ managedRoles: [''] }))).to.equal('managedRoles must be an array of role ids');
  });

  it('refuses a risk, holder kind or managed mode outside its set, listing the set', () => {
    expect(refusal(untyped({ risk: 'extreme' }))).to.equal('risk must be one of normal, high');
    expect(refusal(untyped({ assignableTo: 'robot' }))).to.equal('assignableTo must be one of person, service, any');
    expect(refusal(untyped({ manages: 'some' }))).to.equal('manages must be one of all, none, selected');
  });

  it('refuses managed roles listed beside a managed mode other than selected, and more than the bound', () => {
    expect(refusal({ manages: 'all', managedRoles: ['r1'] })).to.equal('managedRoles lists roles, so manages must be "selected", not "all"');
    expect(refusal({ manages: 'none', managedRoles: [] })).to.equal(undefined);
    const many = Array.from({ length: MAX_MANAGED_ROLES + 1 }, (_, i) => `r${i}`);
    expect(refusal({ managedRoles: many })).to.equal(`managedRoles lists more than ${MAX_MANAGED_ROLES} roles`);
    expect(refusal({ managedRoles: many.slice(1) })).to.equal(undefined);
  });
});
