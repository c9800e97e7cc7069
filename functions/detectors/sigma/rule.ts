import { parseAllDocuments, visit } from 'yaml';
import type { CloudTrailRecord } from '../../core/cloudtrail.ts';
import { RuleLoadError } from '../../core/errors.ts';
import type { DetectorMatch, DetectorMetadata, StatelessDetector } from '../types.ts';
import { bindCondition, parseCondition } from './condition.ts';
import { SigmaRuleError } from './errors.ts';
import { compileSelection, type FieldUse, type RecordTest } from './matcher.ts';
import { metadataOf } from './metadata.ts';
import { parseAggregation, parseTimespan, splitCondition, type SigmaAggregation } from './aggregation.ts';

/**
 * The window of an aggregation without `timeframe`. Sigma counts such a rule over the whole search it
 * runs in; a continuous audit has no end to its search, so the nearest bounded, order-independent
 * reading is the longest window the correlation stage keeps (`MAX_WINDOW_MS` in window.ts): any 24 h span.
 * A rule narrows it with its own `timeframe`, so one rule file means the same in every run.
 */
export const DEFAULT_AGGREGATION_TIMEFRAME = '24h';
const DEFAULT_AGGREGATION_WINDOW_MS = parseTimespan(DEFAULT_AGGREGATION_TIMEFRAME, 'timeframe');

/** Detection keys that are not search identifiers. */
const RESERVED_DETECTION_KEYS = new Set(['condition', 'timeframe']);

/**
 * Parses the YAML text of a Sigma file into its documents (one per `---` section, empty ones
 * dropped). Numbers keep their source text (`1.10`, `0x40`) because Sigma compares values as
 * strings; YAML `null` stays null.
 *
 * @throws {RuleLoadError} when the YAML is invalid.
 */
export function parseSigmaYaml(text: string, file: string): unknown[] {
  const values: unknown[] = [];
  for (const document of parseAllDocuments(text)) {
    const error = document.errors[0];
    if (error) throw new RuleLoadError(file, `invalid YAML: ${error.message}`, { cause: error });
    visit(document, {
      Scalar(_key, node) {
        if (typeof node.value === 'number' && typeof node.source === 'string') node.value = node.source;
      },
    });
    const value: unknown = document.toJS({ maxAliasCount: 100 });
    if (value !== null && value !== undefined) values.push(value);
  }
  return values;
}

/**
 * Why a parsed Sigma document is not for this engine's log source (`product: aws`,
 * `service: cloudtrail`), or `undefined` when it is. The loader uses it to skip other rules.
 */
export function logsourceMismatch(doc: unknown): string | undefined {
  if (!isMap(doc)) return 'not a Sigma rule (the YAML document is not a map)';
  const logsource = doc['logsource'];
  if (!isMap(logsource)) return 'no logsource';
  const product = lower(logsource['product']);
  const service = lower(logsource['service']);
  if (product === 'aws' && service === 'cloudtrail') return undefined;
  const shown = Object.entries(logsource)
    .filter(([key]) => key !== 'definition')
    .map(([key, value]) => `${key}: ${String(value)}`)
    .join(', ');
  return `logsource is { ${shown} }, not { product: aws, service: cloudtrail }`;
}

/**
 * Compiles the YAML text of one Sigma rule; see {@link compileSigmaRule}.
 *
 * @throws {RuleLoadError} for invalid YAML, a file with several documents (rule collections), or
 * anything {@link compileSigmaRule} refuses.
 */
export function compileSigmaYaml(text: string, file: string): StatelessDetector {
  const documents = parseSigmaYaml(text, file);
  if (documents.length !== 1) {
    throw new RuleLoadError(
      file,
      documents.length === 0
        ? 'no YAML document'
        : `Sigma rule collections (${documents.length} YAML documents in one file) are not supported`,
    );
  }
  return compileSigmaRule(documents[0], file);
}

/**
 * Compiles one parsed Sigma rule for AWS CloudTrail into a stateless detector with id
 * `sigma-<kebab-case title>` (the file stem when the title gives nothing). Everything is checked
 * and every pattern compiled here, once; `detect` only evaluates.
 *
 * @throws {RuleLoadError} naming `file` and the construct that is wrong or unsupported: another
 * log source, correlation rules and filters, keyword selections, unsupported or unknown
 * modifiers, regexes RE2 cannot run, aggregations (they need {@link compileSigmaBase} and the
 * correlation stage) or `near` in the condition, a condition naming a selection that does not
 * exist, an empty detection.
 */
export function compileSigmaRule(doc: unknown, file: string): StatelessDetector {
  const rule = compileSigmaBase(doc, file);
  if (rule.aggregation) {
    throw new RuleLoadError(
      file,
      'an aggregation (| count) needs the correlation stage: load the rule with loadSigmaFolder',
    );
  }
  return statelessDetector(rule);
}

/** A compiled Sigma detection rule, before it becomes a detector (a correlation may refer to it). */
export interface SigmaBaseRule {
  file: string;
  /** The handles a Sigma correlation rule refers to it by: its `name` and its `id`. */
  name?: string;
  sigmaId?: string;
  meta: DetectorMetadata;
  /** The search: the condition before any `|`. */
  test: RecordTest;
  /** Every field the selections read, for the load-time "can this ever fire" check. */
  uses: FieldUse[];
  /** `| count(...) by ... > N` with its window, when the condition aggregates. */
  aggregation?: SigmaAggregation & { windowMs: number };
  /** What the engine chose for the rule where the rule left it open (a default window), for a load-time note. */
  notes?: string[];
}

/**
 * Compiles one parsed Sigma detection rule for AWS CloudTrail; see {@link compileSigmaRule}.
 * `timeframe` may sit in `detection` (Sigma 1) or at the top level; it only matters to an
 * aggregation, which without one counts in {@link DEFAULT_AGGREGATION_TIMEFRAME} windows (and says so
 * in `notes`).
 *
 * @throws {RuleLoadError} naming `file` and the construct that is wrong or unsupported.
 */
export function compileSigmaBase(doc: unknown, file: string): SigmaBaseRule {
  try {
    return compileBase(doc, file);
  } catch (error) {
    if (error instanceof SigmaRuleError) throw new RuleLoadError(file, error.reason, { cause: error });
    throw error;
  }
}

/** The stateless detector of a rule without aggregation. */
export function statelessDetector(rule: SigmaBaseRule): StatelessDetector {
  const { test, meta } = rule;
  // One frozen verdict per rule: `detect` runs on millions of records and allocates nothing.
  const match: DetectorMatch = Object.freeze({ reason: `Sigma rule '${meta.title}' matched` });
  return {
    kind: 'stateless',
    meta,
    detect(record: CloudTrailRecord) {
      return test(record) ? match : undefined;
    },
  };
}

function compileBase(doc: unknown, file: string): SigmaBaseRule {
  if (!isMap(doc)) throw new SigmaRuleError('not a Sigma rule: the YAML document is not a map');
  if ('correlation' in doc)
    throw new SigmaRuleError('a correlation rule is not a detection rule: load it with loadSigmaFolder');
  if ('filter' in doc && !('detection' in doc))
    throw new SigmaRuleError('Sigma filters (meta filters) are not supported');
  const mismatch = logsourceMismatch(doc);
  if (mismatch) throw new SigmaRuleError(`${mismatch}; only AWS CloudTrail rules can be compiled`);
  const uses: FieldUse[] = [];
  const { test, aggregation } = compileDetection(doc['detection'], uses);
  const meta = metadataOf(doc, file);
  const rule: SigmaBaseRule = { file, meta, test, uses };
  if (typeof doc['name'] === 'string' && doc['name'] !== '') rule.name = doc['name'];
  if (typeof doc['id'] === 'string' && doc['id'] !== '') rule.sigmaId = doc['id'];
  if (aggregation) {
    const detection = doc['detection'] as Record<string, unknown>;
    const timeframe = detection['timeframe'] ?? doc['timeframe'];
    if (timeframe === undefined) {
      rule.aggregation = { ...aggregation.parsed, windowMs: DEFAULT_AGGREGATION_WINDOW_MS };
      rule.notes = [
        `'| ${aggregation.text}' has no timeframe: counted in any ${DEFAULT_AGGREGATION_TIMEFRAME} window ` +
          "(the longest the correlation stage keeps); add 'timeframe:' to the rule to narrow it",
      ];
    } else {
      rule.aggregation = { ...aggregation.parsed, windowMs: parseTimespan(timeframe, 'timeframe') };
    }
  }
  return rule;
}

function compileDetection(
  detection: unknown,
  uses: FieldUse[],
): { test: RecordTest; aggregation?: { text: string; parsed: SigmaAggregation } } {
  if (detection === undefined) throw new SigmaRuleError('rule has no detection');
  if (!isMap(detection)) throw new SigmaRuleError('detection must be a map of selections and a condition');
  const selections = new Map<string, RecordTest>();
  for (const [name, definition] of Object.entries(detection)) {
    if (RESERVED_DETECTION_KEYS.has(name)) continue;
    selections.set(name, compileSelection(name, definition, uses));
  }
  if (selections.size === 0) throw new SigmaRuleError('empty detection: no selections');
  const condition = detection['condition'];
  const conditions = Array.isArray(condition) ? condition : [condition];
  if (condition === undefined || conditions.length === 0) throw new SigmaRuleError('detection has no condition');
  let aggregation: { text: string; parsed: SigmaAggregation } | undefined;
  const tests = conditions.map((text, index) => {
    if (typeof text !== 'string') {
      throw new SigmaRuleError(`condition${conditions.length > 1 ? ` #${index + 1}` : ''} must be a string`);
    }
    const parts = splitCondition(text);
    if (parts.aggregation !== undefined) {
      if (conditions.length > 1)
        throw new SigmaRuleError(`condition '${text}': an aggregation needs a single condition, not a list`);
      aggregation = { text: parts.aggregation, parsed: parseAggregation(parts.aggregation, text) };
    }
    return bindCondition(parseCondition(parts.search), selections);
  });
  // The spec: a list of conditions is their OR.
  return {
    test: tests.length === 1 ? tests[0]! : (record) => tests.some((test) => test(record)),
    ...(aggregation ? { aggregation } : {}),
  };
}

function lower(value: unknown): string | undefined {
  return typeof value === 'string' ? value.toLowerCase() : undefined;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
