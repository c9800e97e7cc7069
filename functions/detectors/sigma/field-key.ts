import { SigmaRuleError } from './errors.ts';

// The field key of a Sigma selection (`name|mod1|mod2`): which modifiers exist, which this engine
// implements, and how they may be combined. Matching the values lives in matcher.ts.

/**
 * Modifiers this engine implements. `i`, `m` and `s` are the `re` sub-modifiers of Sigma 2;
 * `fieldref` compares with another field of the same record; `exists` tests presence; `cidr`
 * matches addresses in a network; `cased` makes a plain value case-sensitive.
 */
const SUPPORTED_MODIFIERS = new Set([
  'contains',
  'startswith',
  'endswith',
  'all',
  're',
  'i',
  'm',
  's',
  'fieldref',
  'exists',
  'cidr',
  'cased',
]);

/**
 * Modifiers the Sigma specification defines but this engine does not implement. Named apart from
 * unknown ones so the load error tells a rule author "valid Sigma, not supported here".
 */
const UNSUPPORTED_MODIFIERS = new Set([
  'base64',
  'base64offset',
  'windash',
  'expand',
  'gt',
  'gte',
  'lt',
  'lte',
  'neq',
  'utf16',
  'utf16le',
  'utf16be',
  'wide',
  'minute',
  'hour',
  'day',
  'week',
  'month',
  'year',
]);

/** Why a modifier is refused, when there is more to say than "not supported". */
const UNSUPPORTED_WHY: Readonly<Record<string, string>> = {
  expand: 'a placeholder the rule author must fill in for their environment',
};

const POSITION_MODIFIERS = ['contains', 'startswith', 'endswith'] as const;
/** Where a plain value must occur in the field's text. */
export type Position = (typeof POSITION_MODIFIERS)[number] | 'exact';

/** How one field key (`name|mod1|mod2`) asks its values to be matched. */
export interface FieldSpec {
  field: string;
  path: string[];
  position: Position;
  all: boolean;
  regex: boolean;
  regexFlags: string;
  fieldref: boolean;
  exists: boolean;
  cidr: boolean;
  cased: boolean;
  hasModifiers: boolean;
}

/** Splits `field|mod1|mod2` and checks the modifiers and their combination. */
export function parseFieldKey(selection: string, key: string): FieldSpec {
  const [field = '', ...modifiers] = key.split('|');
  if (field === '') {
    throw new SigmaRuleError(
      `keyword selection '${selection}' (modifiers without a field name: '${key}') is not supported`,
    );
  }
  const where = `on field ${field} in selection '${selection}'`;
  const path = field.split('.');
  if (path.some((segment) => segment === '')) throw new SigmaRuleError(`empty path segment in field name ${where}`);
  const spec: FieldSpec = { ...EMPTY_SPEC, field, path, hasModifiers: modifiers.length > 0 };
  const seen = new Set<string>();
  for (const modifier of modifiers) {
    if (UNSUPPORTED_MODIFIERS.has(modifier)) {
      const why = UNSUPPORTED_WHY[modifier];
      throw new SigmaRuleError(`unsupported modifier '${modifier}' ${where}${why ? ` (${why})` : ''}`);
    }
    if (!SUPPORTED_MODIFIERS.has(modifier))
      throw new SigmaRuleError(`unknown modifier '${modifier || '(empty)'}' ${where}`);
    if (seen.has(modifier)) throw new SigmaRuleError(`modifier '${modifier}' repeated ${where}`);
    seen.add(modifier);
    if (modifier === 'all') spec.all = true;
    else if (modifier === 're') spec.regex = true;
    else if (modifier === 'fieldref') spec.fieldref = true;
    else if (modifier === 'exists') spec.exists = true;
    else if (modifier === 'cidr') spec.cidr = true;
    else if (modifier === 'cased') spec.cased = true;
    else if (modifier === 'i' || modifier === 'm' || modifier === 's') {
      if (!spec.regex) throw new SigmaRuleError(`modifier '${modifier}' is only valid after 're' ${where}`);
      spec.regexFlags += modifier;
    } else {
      const position = modifier as Position;
      if (spec.position !== 'exact') {
        throw new SigmaRuleError(`modifiers '${spec.position}' and '${position}' cannot be combined ${where}`);
      }
      spec.position = position;
    }
  }
  const kinds = (['re', 'fieldref', 'exists', 'cidr'] as const).filter((kind) => seen.has(kind));
  if (kinds.length > 1)
    throw new SigmaRuleError(`modifiers '${kinds[0]}' and '${kinds[1]}' cannot be combined ${where}`);
  const kind = kinds[0];
  if (kind && kind !== 'fieldref' && spec.position !== 'exact') {
    throw new SigmaRuleError(`modifiers '${kind}' and '${spec.position}' cannot be combined ${where}`);
  }
  if (spec.exists && modifiers.length > 1)
    throw new SigmaRuleError(`modifier 'exists' takes no other modifier ${where}`);
  if (spec.cased && (spec.regex || spec.fieldref || spec.cidr)) {
    throw new SigmaRuleError(`modifier 'cased' applies to plain values only ${where}`);
  }
  return spec;
}

const EMPTY_SPEC: FieldSpec = {
  field: '',
  path: [],
  position: 'exact',
  all: false,
  regex: false,
  regexFlags: '',
  fieldref: false,
  exists: false,
  cidr: false,
  cased: false,
  hasModifiers: false,
};
