/**
 * How role names compare. Role names decide who holds what ("Super Administrator" is a system role),
 * so a custom role must not be able to pass for another one: names are compared after Unicode
 * compatibility normalisation (NFKC: fullwidth letters, ligatures and the no-break space become their
 * plain forms), with invisible format characters (zero-width spaces, joiners, bidi marks) dropped,
 * runs of white space collapsed to one space, case folded, and the ends trimmed.
 */

/** Unicode "format" characters (general category Cf): invisible, so two names differing only by them look alike. */
const FORMAT_CHARACTERS = /\p{Cf}/gu;
const WHITE_SPACE_RUNS = /\s+/gu;

/**
 * The comparable form of role-name text, ends untouched (for substring filters such as `co`, where
 * a leading or trailing space in the operand is meaningful).
 */
export function foldRoleText(text: string): string {
  // Upper then lower case folds what lower-casing alone keeps apart ("ß" and "SS", "ς" and "Σ");
  // normalised again because case mapping can produce sequences NFKC composes.
  return text.normalize('NFKC').replace(FORMAT_CHARACTERS, '').replace(WHITE_SPACE_RUNS, ' ')
    .toUpperCase().toLowerCase().normalize('NFKC');
}

/** The key a role name is unique by (`roles.display_name_key`): two names with one key are one role. */
export function roleNameKey(name: string): string {
  return foldRoleText(name).trim();
}
