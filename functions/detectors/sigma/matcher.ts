import { SigmaRuleError } from './errors.ts';
import { bounded, compileUserRegex, type TextTest } from './regex.ts';
import { type FieldSpec, type Position, parseFieldKey } from './field-key.ts';
import { compileCidr, compilePlainValue } from './values.ts';

/** A compiled, pure and total test of one record (any JSON value; never throws). */
export type RecordTest = (record: unknown) => boolean;

/** A test of one value found at a field path; `undefined` stands for a missing field. */
type ValueTest = (value: unknown) => boolean;

/** One field a selection reads, for the load-time check that a rule can fire at all. */
export interface FieldUse {
  selection: string;
  field: string;
  /** The field is matched against a string pattern (plain value, position modifiers, `re`, `cidr`). */
  stringMatch: boolean;
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
export function compileSelection(name: string, definition: unknown, uses: FieldUse[] = []): RecordTest {
  if (isPlainObject(definition)) return compileMap(name, definition, uses);
  if (Array.isArray(definition)) {
    if (definition.length === 0) throw new SigmaRuleError(`selection '${name}' is an empty list`);
    if (definition.every(isPlainObject)) {
      const maps = definition.map((map) => compileMap(name, map, uses));
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

function compileMap(selection: string, map: Record<string, unknown>, uses: FieldUse[]): RecordTest {
  const keys = Object.keys(map);
  if (keys.length === 0) throw new SigmaRuleError(`selection '${selection}' is an empty map`);
  const fields = keys.map((key) => compileField(selection, key, map[key], uses));
  return fields.length === 1 ? fields[0]! : (record) => fields.every((test) => test(record));
}

function compileField(selection: string, key: string, value: unknown, uses: FieldUse[]): RecordTest {
  const spec = parseFieldKey(selection, key);
  const where = `on field ${spec.field} in selection '${selection}'`;
  const values = Array.isArray(value) ? value : [value];
  if (values.length === 0) throw new SigmaRuleError(`empty value list ${where}`);
  if (spec.all && values.length < 2) {
    // The spec forbids it: a one-value `all` is usually a mistake for a second selection.
    throw new SigmaRuleError(`modifier 'all' needs at least two values ${where}`);
  }
  const path = spec.path;
  if (spec.exists) {
    if (values.length !== 1 || typeof values[0] !== 'boolean')
      throw new SigmaRuleError(`modifier 'exists' takes true or false ${where}`);
    const wanted = values[0];
    // Present means present with any value, JSON null included; absent means no value on any path.
    return (record) => someValueAt(record, path, 0, (candidate) => candidate !== undefined) === wanted;
  }
  uses.push({ selection, field: spec.field, stringMatch: values.some((item) => item !== null) });
  if (spec.fieldref) return compileFieldref(spec, values, where);
  const tests = values.map((item) => compileValue(spec, item, where));
  if (spec.all) return (record) => tests.every((test) => someValueAt(record, path, 0, test));
  const test = tests.length === 1 ? tests[0]! : (candidate: unknown) => tests.some((one) => one(candidate));
  return (record) => someValueAt(record, path, 0, test);
}

/**
 * `field|fieldref: other`: the record's `field` equals (or, with a position modifier, contains,
 * starts or ends with) the record's `other`, compared case-insensitively like Sigma's plain
 * values. Either field holding a list matches when some pair matches; a missing field never does.
 */
function compileFieldref(spec: FieldSpec, values: unknown[], where: string): RecordTest {
  const others = values.map((item) => {
    if (typeof item !== 'string' || item === '' || item.split('.').some((segment) => segment === '')) {
      throw new SigmaRuleError(`modifier 'fieldref' needs a field name as its value ${where}`);
    }
    return item.split('.');
  });
  const compare = COMPARE_BY_POSITION[spec.position]!;
  const matchesOne = (record: unknown, other: readonly string[]) => {
    const wanted: string[] = [];
    someValueAt(record, other, 0, (candidate) => {
      const text = scalarText(candidate);
      // Bounded: a list of a million values at the referenced field cannot make this quadratic.
      if (text !== undefined && wanted.length < MAX_FIELDREF_VALUES) wanted.push(bounded(text).toLowerCase());
      return false;
    });
    if (wanted.length === 0) return false;
    return someValueAt(record, spec.path, 0, (candidate) => {
      const text = scalarText(candidate);
      if (text === undefined) return false;
      const lowered = bounded(text).toLowerCase();
      return wanted.some((one) => compare(lowered, one));
    });
  };
  if (spec.all) return (record) => others.every((other) => matchesOne(record, other));
  return (record) => others.some((other) => matchesOne(record, other));
}

/** Values read from a referenced field; more are ignored. */
const MAX_FIELDREF_VALUES = 64;

const COMPARE_BY_POSITION: Readonly<Record<Position, (text: string, wanted: string) => boolean>> = {
  exact: (text, wanted) => text === wanted,
  contains: (text, wanted) => text.includes(wanted),
  startswith: (text, wanted) => text.startsWith(wanted),
  endswith: (text, wanted) => text.endsWith(wanted),
};

function compileValue(spec: FieldSpec, value: unknown, where: string): ValueTest {
  if (value === null) {
    if (spec.hasModifiers) throw new SigmaRuleError(`null cannot take modifiers ${where}`);
    // Sigma's null: the field is absent, or present with a JSON null.
    return (candidate) => candidate === undefined || candidate === null;
  }
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
    throw new SigmaRuleError(`value must be a string, number, boolean or null, not ${describe(value)}, ${where}`);
  }
  let test: TextTest;
  if (spec.cidr) test = compileCidr(String(value), where);
  else if (spec.regex) {
    const flags = spec.regexFlags;
    const regexFlags = { ignoreCase: flags.includes('i'), multiline: flags.includes('m'), dotAll: flags.includes('s') };
    test = compileUserRegex(String(value), regexFlags, where);
  } else test = compilePlainValue(String(value), spec.position, !spec.cased);
  return (candidate) => {
    // Sigma compares numbers and booleans as strings; objects, arrays and null never match a pattern.
    const text = scalarText(candidate);
    return text !== undefined && test(text);
  };
}

function scalarText(candidate: unknown): string | undefined {
  if (typeof candidate === 'string') return candidate;
  if (typeof candidate === 'number' || typeof candidate === 'boolean') return String(candidate);
  return undefined;
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
