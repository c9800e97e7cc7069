import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { RuleLoadError, messageOf } from './errors.ts';
import { asCidr, compileSuppressions } from './suppression-match.ts';

/** What a suppression rule is matched against: one would-be finding. */
export interface SuppressionCandidate {
  /** Detector id. */
  detector: string;
  /** userIdentity ARN (or type), as `principalOf` gives it. */
  principal: string;
  account: string;
  sourceIPAddress: string;
  userAgent: string;
}

/** One rule as written in the file (validated). */
export interface SuppressionRule {
  id: string;
  /** A detector id, or `*` for every detector. */
  detector: string;
  reason: string;
  /** Last moment the rule applies; a date-only `expires` lasts to the end of that day, UTC. */
  expires?: Date;
  /** The rule silences its detector(s) entirely; never combined with criteria. */
  all?: true;
  principals?: string[];
  accounts?: string[];
  sourceIPs?: string[];
  userAgents?: string[];
}

/** A loaded suppression file. */
export interface Suppressions {
  readonly file: string;
  readonly rules: readonly SuppressionRule[];
  /**
   * The id of the first rule (in file order) that silences `candidate` at `now`, else undefined.
   * A rule applies when its detector matches and every criterion it gives matches (AND across
   * criteria, OR within one list); expired rules never apply.
   */
  match(candidate: SuppressionCandidate, now: Date): string | undefined;
  /** Rules whose `expires` has passed at `now`, so the CLI can warn that they no longer apply. */
  expired(now: Date): SuppressionRule[];
}

/** Options of {@link parseSuppressions} and {@link loadSuppressions}. */
export interface SuppressionOptions {
  /** Known detector ids; when given, a rule naming another detector is a load error (a typo would silence nothing). */
  detectorIds?: readonly string[];
}

const CRITERIA = ['principals', 'accounts', 'sourceIPs', 'userAgents'] as const;
type Criterion = (typeof CRITERIA)[number];
const RULE_KEYS = new Set<string>(['id', 'detector', 'reason', 'expires', 'all', ...CRITERIA]);
const RULE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const ACCOUNT_ID = /^\d{12}$/;
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2}))$/;

/** Reads and parses a suppression file (YAML or JSON). Throws {@link RuleLoadError} naming the file. */
export async function loadSuppressions(path: string, options: SuppressionOptions = {}): Promise<Suppressions> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new RuleLoadError(path, `cannot read the suppression file (${messageOf(error)})`, { cause: error });
  }
  return parseSuppressions(text, path, options);
}

/**
 * Parses suppression rules from YAML or JSON text (JSON is YAML). Everything is validated and
 * compiled here, so `match` does no parsing: unknown keys, missing id or reason, a rule without
 * criteria (unless `all: true`), bad accounts, addresses, CIDRs or dates are {@link RuleLoadError}s
 * naming the rule and the problem.
 */
export function parseSuppressions(text: string, file: string, options: SuppressionOptions = {}): Suppressions {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (error) {
    throw new RuleLoadError(file, `not valid YAML or JSON (${messageOf(error)})`, { cause: error });
  }
  if (doc === null || doc === undefined)
    throw new RuleLoadError(file, 'the file is empty; expected a "suppressions:" list');
  if (typeof doc !== 'object' || Array.isArray(doc))
    throw new RuleLoadError(file, 'expected a mapping with a "suppressions:" list at the top');
  const extra = Object.keys(doc).filter((key) => key !== 'suppressions');
  if (extra.length > 0)
    throw new RuleLoadError(
      file,
      `unknown top-level key ${extra.map((k) => `"${k}"`).join(', ')} (only "suppressions" is allowed)`,
    );
  const entries = (doc as { suppressions?: unknown }).suppressions;
  if (!Array.isArray(entries)) throw new RuleLoadError(file, '"suppressions" must be a list of rules');

  const known = options.detectorIds ? new Set(options.detectorIds) : undefined;
  const seen = new Set<string>();
  const rules = entries.map((entry, index) => {
    const rule = validateRule(entry, index, (where, problem) => new RuleLoadError(file, `${where}: ${problem}`), known);
    if (seen.has(rule.id)) throw new RuleLoadError(file, `rule "${rule.id}": the id is used twice`);
    seen.add(rule.id);
    return rule;
  });
  return compileSuppressions(file, rules);
}

type Fail = (where: string, problem: string) => RuleLoadError;

function validateRule(
  entry: unknown,
  index: number,
  fail: Fail,
  knownDetectors: Set<string> | undefined,
): SuppressionRule {
  let where = `rule #${index + 1}`;
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry))
    throw fail(where, 'is not a mapping of keys');
  const fields = entry as Record<string, unknown>;

  const id = fields.id;
  if (typeof id !== 'string' || !id) throw fail(where, 'id is required');
  if (!RULE_ID.test(id)) throw fail(where, `id "${id}" must be letters, digits, ".", "_" or "-"`);
  where = `rule "${id}"`;

  for (const key of Object.keys(fields)) {
    if (!RULE_KEYS.has(key)) throw fail(where, `unknown key "${key}"${hintFor(key)}`);
  }
  const detector = fields.detector;
  if (typeof detector !== 'string' || !detector) throw fail(where, 'detector is required (a detector id, or "*")');
  if (detector !== '*' && knownDetectors && !knownDetectors.has(detector))
    throw fail(where, `unknown detector "${detector}"`);
  const reason = fields.reason;
  if (typeof reason !== 'string' || !reason.trim())
    throw fail(where, 'reason is required: say why these findings are expected');

  const rule: SuppressionRule = { id, detector, reason };
  if (fields.expires !== undefined) rule.expires = expiryOf(fields.expires, (problem) => fail(where, problem));
  for (const criterion of CRITERIA) {
    if (fields[criterion] === undefined) continue;
    rule[criterion] = criterionValues(criterion, fields[criterion], (problem) => fail(where, problem));
  }
  const given = CRITERIA.filter((criterion) => rule[criterion] !== undefined);
  if (fields.all !== undefined) {
    if (fields.all !== true) throw fail(where, '"all" can only be true (omit it and give criteria instead)');
    if (given.length > 0) throw fail(where, `"all: true" cannot be combined with ${given.join(', ')}`);
    rule.all = true;
  } else if (given.length === 0) {
    throw fail(where, `needs at least one of ${CRITERIA.join(', ')}; to silence the whole detector say "all: true"`);
  }
  return rule;
}

function criterionValues(criterion: Criterion, value: unknown, fail: (problem: string) => RuleLoadError): string[] {
  if (!Array.isArray(value)) throw fail(`${criterion} must be a list`);
  if (value.length === 0)
    throw fail(`${criterion} is an empty list, which would match nothing; remove it or add entries`);
  return value.map((item, i) => {
    const at = `${criterion}[${i}]`;
    if (criterion === 'accounts') {
      // Unquoted YAML turns 012345678901 into a number and drops the leading zero: restore it.
      const account =
        typeof item === 'number' && Number.isSafeInteger(item) && item >= 0 ? String(item).padStart(12, '0') : item;
      if (typeof account !== 'string' || !ACCOUNT_ID.test(account))
        throw fail(`${at} ${JSON.stringify(item)} is not a 12-digit account id`);
      return account;
    }
    if (typeof item !== 'string' || !item) throw fail(`${at} must be a non-empty string`);
    if (criterion === 'sourceIPs' && asCidr(item) === undefined)
      throw fail(`${at} "${item}" is not an IP address or CIDR`);
    return item;
  });
}

/** The last moment a rule applies: the end of the day (UTC) for a date, the instant for a date-time. */
function expiryOf(value: unknown, fail: (problem: string) => RuleLoadError): Date {
  const bad = () =>
    fail(`expires ${JSON.stringify(value)} is not a date (YYYY-MM-DD) or an ISO date-time with a time zone`);
  // A YAML 1.1 document (`%YAML 1.1`) reads an unquoted date as a timestamp at UTC midnight.
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw bad();
    return value.getUTCHours() + value.getUTCMinutes() + value.getUTCSeconds() + value.getUTCMilliseconds() === 0
      ? endOfUtcDay(value.getUTCFullYear(), value.getUTCMonth() + 1, value.getUTCDate())
      : value;
  }
  if (typeof value !== 'string') throw bad();
  const day = DATE_ONLY.exec(value);
  if (day) {
    const [year, month, date] = [Number(day[1]), Number(day[2]), Number(day[3])];
    if (!validDate(year, month, date)) throw bad();
    // A date means "through that day": the rule stops at the next midnight, UTC.
    return endOfUtcDay(year, month, date);
  }
  const stamp = DATE_TIME.exec(value);
  if (!stamp) throw bad();
  const [year, month, date, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(stamp[i] ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const [offsetHour, offsetMinute] = [Number(stamp[7] ?? 0), Number(stamp[8] ?? 0)];
  // Date.parse rolls 2027-02-30 over to March: check the fields before trusting it.
  if (!validDate(year, month, date) || hour > 23 || minute > 59 || second > 59 || offsetHour > 23 || offsetMinute > 59)
    throw bad();
  const instant = Date.parse(value);
  if (Number.isNaN(instant)) throw bad();
  return new Date(instant);
}

function validDate(year: number, month: number, date: number): boolean {
  if (month < 1 || month > 12 || date < 1) return false;
  return date <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function endOfUtcDay(year: number, month: number, date: number): Date {
  return new Date(Date.UTC(year, month - 1, date + 1) - 1);
}

function hintFor(key: string): string {
  const lower = key.toLowerCase();
  const near = [...RULE_KEYS].find(
    (known) =>
      known.toLowerCase() === lower || known.toLowerCase() === `${lower}s` || `${known.toLowerCase()}s` === lower,
  );
  return near ? ` (did you mean "${near}"?)` : '';
}
