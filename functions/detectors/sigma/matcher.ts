import { SigmaRuleError } from './errors.ts';

/** A compiled, pure and total test of one record (any JSON value; never throws). */
export type RecordTest = (record: unknown) => boolean;

/** A test of one value found at a field path; `undefined` stands for a missing field. */
type ValueTest = (value: unknown) => boolean;

/** Modifiers this engine implements. `i`, `m` and `s` are the `re` sub-modifiers of Sigma 2. */
const SUPPORTED_MODIFIERS = new Set(['contains', 'startswith', 'endswith', 'all', 're', 'i', 'm', 's']);

/**
 * Modifiers the Sigma specification defines but this engine does not implement. Named apart from
 * unknown ones so the load error tells a rule author "valid Sigma, not supported here".
 */
const UNSUPPORTED_MODIFIERS = new Set([
  'cidr',
  'base64',
  'base64offset',
  'windash',
  'expand',
  'fieldref',
  'exists',
  'cased',
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

const POSITION_MODIFIERS = ['contains', 'startswith', 'endswith'] as const;
type Position = (typeof POSITION_MODIFIERS)[number] | 'exact';

/** How one field key (`name|mod1|mod2`) asks its values to be matched. */
interface FieldSpec {
  field: string;
  path: string[];
  position: Position;
  all: boolean;
  regex: boolean;
  regexFlags: string;
  hasModifiers: boolean;
}

/**
 * Compiles one Sigma search identifier (selection) into a record test.
 *
 * A map is an AND of its fields; a list of maps is an OR of the maps. Keyword selections (a bare
 * value or a list of values, searched across the whole event) are refused: CloudTrail records are
 * structured, and a full-text search would be slow and imprecise.
 *
 * @throws {SigmaRuleError} naming the construct and the selection when it cannot be compiled.
 */
export function compileSelection(name: string, definition: unknown): RecordTest {
  if (isPlainObject(definition)) return compileMap(name, definition);
  if (Array.isArray(definition)) {
    if (definition.length === 0) throw new SigmaRuleError(`selection '${name}' is an empty list`);
    if (definition.every(isPlainObject)) {
      const maps = definition.map((map) => compileMap(name, map));
      return maps.length === 1 ? maps[0]! : (record) => maps.some((test) => test(record));
    }
    throw new SigmaRuleError(
      `keyword selection '${name}' (a list of values without field names) is not supported; match named fields instead`,
    );
  }
  throw new SigmaRuleError(
    `keyword selection '${name}' (a bare value without a field name) is not supported; match named fields instead`,
  );
}

function compileMap(selection: string, map: Record<string, unknown>): RecordTest {
  const keys = Object.keys(map);
  if (keys.length === 0) throw new SigmaRuleError(`selection '${selection}' is an empty map`);
  const fields = keys.map((key) => compileField(selection, key, map[key]));
  return fields.length === 1 ? fields[0]! : (record) => fields.every((test) => test(record));
}

function compileField(selection: string, key: string, value: unknown): RecordTest {
  const spec = parseFieldKey(selection, key);
  const where = `on field ${spec.field} in selection '${selection}'`;
  const values = Array.isArray(value) ? value : [value];
  if (values.length === 0) throw new SigmaRuleError(`empty value list ${where}`);
  if (spec.all && values.length < 2) {
    // The spec forbids it: a one-value `all` is usually a mistake for a second selection.
    throw new SigmaRuleError(`modifier 'all' needs at least two values ${where}`);
  }
  const tests = values.map((item) => compileValue(spec, item, where));
  const path = spec.path;
  if (spec.all) return (record) => tests.every((test) => someValueAt(record, path, 0, test));
  const test = tests.length === 1 ? tests[0]! : (candidate: unknown) => tests.some((one) => one(candidate));
  return (record) => someValueAt(record, path, 0, test);
}

/** Splits `field|mod1|mod2` and checks the modifiers and their combination. */
function parseFieldKey(selection: string, key: string): FieldSpec {
  const [field = '', ...modifiers] = key.split('|');
  if (field === '') {
    throw new SigmaRuleError(`keyword selection '${selection}' (modifiers without a field name: '${key}') is not supported`);
  }
  const where = `on field ${field} in selection '${selection}'`;
  const path = field.split('.');
  if (path.some((segment) => segment === '')) throw new SigmaRuleError(`empty path segment in field name ${where}`);
  const spec: FieldSpec = { field, path, position: 'exact', all: false, regex: false, regexFlags: '', hasModifiers: modifiers.length > 0 };
  const seen = new Set<string>();
  for (const modifier of modifiers) {
    if (UNSUPPORTED_MODIFIERS.has(modifier)) throw new SigmaRuleError(`unsupported modifier '${modifier}' ${where}`);
    if (!SUPPORTED_MODIFIERS.has(modifier)) throw new SigmaRuleError(`unknown modifier '${modifier || '(empty)'}' ${where}`);
    if (seen.has(modifier)) throw new SigmaRuleError(`modifier '${modifier}' repeated ${where}`);
    seen.add(modifier);
    if (modifier === 'all') spec.all = true;
    else if (modifier === 're') spec.regex = true;
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
  if (spec.regex && spec.position !== 'exact') {
    throw new SigmaRuleError(`modifiers 're' and '${spec.position}' cannot be combined ${where}`);
  }
  return spec;
}

function compileValue(spec: FieldSpec, value: unknown, where: string): ValueTest {
  if (value === null) {
    if (spec.hasModifiers) throw new SigmaRuleError(`null cannot take modifiers ${where}`);
    // Sigma's null: the field is absent, or present with a JSON null.
    return (candidate) => candidate === undefined || candidate === null;
  }
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
    throw new SigmaRuleError(`value must be a string, number, boolean or null, not ${describe(value)}, ${where}`);
  }
  const regexp = spec.regex ? userRegExp(String(value), spec.regexFlags, where) : wildcardRegExp(String(value), spec.position);
  return (candidate) => {
    // Sigma compares numbers and booleans as strings; objects, arrays and null never match a pattern.
    if (typeof candidate === 'string') return regexp.test(candidate);
    if (typeof candidate === 'number' || typeof candidate === 'boolean') return regexp.test(String(candidate));
    return false;
  };
}

/**
 * A Sigma `re` value as a JavaScript RegExp. Sigma regexes are case-sensitive; a leading inline
 * flag group such as `(?i)` (common in PCRE-style rules, unknown to JavaScript) becomes a flag.
 */
function userRegExp(source: string, subModifierFlags: string, where: string): RegExp {
  let flags = subModifierFlags;
  let body = source;
  const inline = /^\(\?([ims]+)\)/.exec(body);
  if (inline) {
    flags += inline[1];
    body = body.slice(inline[0].length);
  }
  try {
    return new RegExp(body, [...new Set(flags)].join(''));
  } catch (error) {
    throw new SigmaRuleError(`invalid regular expression '${source}' ${where}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * A Sigma plain value as a case-insensitive RegExp: `*` is any run, `?` one character, and `\`
 * escapes `*`, `?` and `\` (any other backslash is literal). Position modifiers only drop anchors,
 * so wildcards inside a `contains` value still work.
 */
function wildcardRegExp(value: string, position: Position): RegExp {
  let body = '';
  let afterStar = false;
  for (let i = 0; i < value.length; i++) {
    const char = value[i]!;
    const star = char === '*';
    if (char === '\\') {
      const next = value[i + 1];
      if (next === '*' || next === '?' || next === '\\') {
        body += escapeRegExp(next);
        i++;
      } else {
        body += '\\\\';
      }
    } else if (star) {
      // Runs of `*` collapse to one `.*` so a pattern like `a**b` cannot backtrack badly.
      if (!afterStar) body += '.*';
    } else if (char === '?') {
      body += '.';
    } else {
      body += escapeRegExp(char);
    }
    afterStar = star;
  }
  const start = position === 'exact' || position === 'startswith' ? '^' : '';
  const end = position === 'exact' || position === 'endswith' ? '$' : '';
  // `s` so wildcards span newlines (policy documents, user data); `i` for Sigma's case-insensitivity.
  return new RegExp(`${start}${body}${end}`, 'is');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Whether `test` accepts some value at `path` in `node`. Arrays met on the way (or at the end)
 * fan out: the test passes if it passes for any element. A missing field, or an empty array,
 * is offered to the test as `undefined`, so only a `null` pattern can match it.
 */
function someValueAt(node: unknown, path: readonly string[], index: number, test: ValueTest): boolean {
  if (Array.isArray(node)) {
    if (node.length === 0) return test(undefined);
    for (const element of node) if (someValueAt(element, path, index, test)) return true;
    return false;
  }
  if (index === path.length) return test(node);
  if (node === null || typeof node !== 'object') return test(undefined);
  const key = path[index]!;
  // Own properties only: a field named `constructor` must not reach Object.prototype.
  if (!Object.hasOwn(node, key)) return test(undefined);
  return someValueAt((node as Record<string, unknown>)[key], path, index + 1, test);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a nested list';
  if (value === undefined) return 'nothing';
  return typeof value === 'object' ? 'a map' : typeof value;
}
