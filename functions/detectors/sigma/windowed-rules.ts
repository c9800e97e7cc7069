import { createHash } from 'node:crypto';
import type { CloudTrailRecord } from '../../core/cloudtrail.ts';
import type { CorrelatingDetector } from '../../core/correlation.ts';
import { checkedThreshold, parseTimespan } from './aggregation.ts';
import { SigmaRuleError } from './errors.ts';
import { metadataOf } from './metadata.ts';
import type { SigmaBaseRule } from './rule.ts';
import { firstText, windowDetector, type WindowAggregate } from './window.ts';

/** Values a record can add to a distinct count (a field holding a list); more are ignored. */
const MAX_VALUES_PER_RECORD = 16;

/**
 * The correlating detector of a Sigma 1 aggregation rule (`| count() by f > N` with a
 * `timeframe`): events (or distinct values of the counted field) per group per window; see
 * `window.ts` for the exact windowing.
 */
export function aggregationDetector(rule: SigmaBaseRule): CorrelatingDetector<WindowAggregate> {
  const aggregation = rule.aggregation;
  if (!aggregation) throw new Error(`${rule.file}: not an aggregation rule`);
  const { test } = rule;
  const counted = aggregation.field;
  const countedPath = counted?.split('.');
  return windowDetector({
    meta: rule.meta,
    values: (record) => (test(record) ? (countedPath ? textsAt(record, countedPath) : [eventKey(record)]) : []),
    groupBy: aggregation.groupBy,
    threshold: aggregation.threshold,
    windowMs: aggregation.windowMs,
    counted: counted ? `distinct ${counted} values` : 'events',
  });
}

/** A compiled Sigma correlation rule and the detection rules it refers to. */
export interface SigmaCorrelation {
  detector: CorrelatingDetector<WindowAggregate>;
  /** The referenced rules; they produce findings of their own only when `generate` is true. */
  rules: SigmaBaseRule[];
  generate: boolean;
}

const CORRELATION_TYPES = new Set(['event_count', 'value_count', 'temporal']);

/**
 * Compiles a Sigma correlation rule (`correlation:` with `type`, `rules`, `group-by`, `timespan`
 * or `timeframe`, `condition`, `generate`) over rules found by `resolve` (by `name` or `id`).
 * event_count and value_count need `condition: { gt | gte: N }` (value_count also `field`);
 * temporal needs every referenced rule to fire in one window per group.
 *
 * @throws {SigmaRuleError} naming the construct that is wrong or not supported.
 */
export function compileCorrelation(
  doc: Record<string, unknown>,
  file: string,
  resolve: (reference: string) => SigmaBaseRule | undefined,
): SigmaCorrelation {
  const spec = doc['correlation'];
  if (!isMap(spec)) throw new SigmaRuleError("'correlation' must be a map with type, rules, timespan and condition");
  const type = spec['type'];
  if (type === 'temporal_ordered') {
    throw new SigmaRuleError(
      "correlation type 'temporal_ordered' is not supported (the order of events within a window is not kept)",
    );
  }
  if (typeof type !== 'string' || !CORRELATION_TYPES.has(type)) {
    throw new SigmaRuleError(
      `correlation type '${String(type)}' is not supported (event_count, value_count or temporal)`,
    );
  }
  if ('aliases' in spec)
    throw new SigmaRuleError("correlation 'aliases' are not supported: group by the CloudTrail field itself");
  const references = spec['rules'];
  const names = (Array.isArray(references) ? references : [references]).filter((item) => item !== undefined);
  if (names.length === 0 || !names.every((name) => typeof name === 'string' && name !== '')) {
    throw new SigmaRuleError("correlation 'rules' must list the names or ids of detection rules");
  }
  const rules = (names as string[]).map((name) => {
    const rule = resolve(name);
    if (!rule)
      throw new SigmaRuleError(
        `correlation refers to rule '${name}', which no loaded CloudTrail rule has as name or id`,
      );
    if (rule.aggregation)
      throw new SigmaRuleError(`correlation refers to rule '${name}', which aggregates itself; refer to plain rules`);
    return rule;
  });
  const groupBy = fieldList(spec['group-by'], 'group-by');
  const windowMs = parseTimespan(
    spec['timespan'] ?? spec['timeframe'],
    spec['timespan'] === undefined ? 'timeframe' : 'timespan',
  );
  const meta = metadataOf(doc, file);
  const generate = spec['generate'] === true || doc['generate'] === true;
  const tests = rules.map((rule) => rule.test);
  const matchesAny = (record: CloudTrailRecord) => tests.some((test) => test(record));
  if (type === 'temporal') {
    const labels = rules.map((rule, index) => rule.name ?? rule.sigmaId ?? String(index));
    return {
      rules,
      generate,
      detector: windowDetector({
        meta,
        values: (record) => labels.filter((_, index) => tests[index]!(record)),
        groupBy,
        threshold: checkedThreshold(new Set(labels).size, `correlation of ${labels.length} rules`),
        windowMs,
        counted: 'of its rules firing',
      }),
    };
  }
  const condition = spec['condition'];
  if (!isMap(condition)) throw new SigmaRuleError(`correlation type ${type} needs a condition such as 'gte: 10'`);
  const threshold = thresholdOf(condition);
  if (type === 'event_count') {
    return {
      rules,
      generate,
      detector: windowDetector({
        meta,
        values: (record) => (matchesAny(record) ? [eventKey(record)] : []),
        groupBy,
        threshold,
        windowMs,
        counted: 'events',
      }),
    };
  }
  const field = condition['field'];
  if (typeof field !== 'string' || field === '')
    throw new SigmaRuleError("correlation type value_count needs 'field' in its condition");
  const path = field.split('.');
  return {
    rules,
    generate,
    detector: windowDetector({
      meta,
      values: (record) => (matchesAny(record) ? textsAt(record, path) : []),
      groupBy,
      threshold,
      windowMs,
      counted: `distinct ${field} values`,
    }),
  };
}

/** K from a correlation condition: `gt: N` is N+1 distinct values, `gte: N` is N. */
function thresholdOf(condition: Record<string, unknown>): number {
  const operators = Object.keys(condition).filter((key) => key !== 'field');
  if (operators.length !== 1) throw new SigmaRuleError('correlation condition needs exactly one of gt or gte');
  const operator = operators[0]!;
  const value = Number(condition[operator]);
  if (operator !== 'gt' && operator !== 'gte') {
    throw new SigmaRuleError(
      `correlation condition '${operator}' is not supported: a window aggregate can prove that at least N events happened, not fewer`,
    );
  }
  return checkedThreshold(
    operator === 'gt' ? value + 1 : value,
    `correlation condition '${operator}: ${String(condition[operator])}'`,
  );
}

function fieldList(value: unknown, name: string): string[] {
  if (value === undefined || value === null) return [];
  const items = Array.isArray(value) ? value : [value];
  if (!items.every((item) => typeof item === 'string' && /^[A-Za-z0-9_.-]+$/.test(item))) {
    throw new SigmaRuleError(`correlation '${name}' must list field names`);
  }
  return items as string[];
}

/** A record's identity for counting events: its eventID, or a digest of the record without one. */
function eventKey(record: CloudTrailRecord): string {
  if (typeof record.eventID === 'string' && record.eventID !== '') return record.eventID;
  try {
    return `sha256-${createHash('sha256').update(JSON.stringify(record)).digest('hex').slice(0, 32)}`;
  } catch {
    // A record too deep to serialise still counts, once per time and source.
    return `unserialisable-${String(record.eventTime)}-${String(record.eventSource)}-${String(record.eventName)}`.slice(
      0,
      128,
    );
  }
}

/** The string, number or boolean values at a path (lists fan out), at most a few per record. */
function textsAt(record: unknown, path: readonly string[]): string[] {
  const found: string[] = [];
  collect(record, path, 0, found);
  return found;
}

function collect(node: unknown, path: readonly string[], index: number, found: string[]): void {
  if (found.length >= MAX_VALUES_PER_RECORD) return;
  if (Array.isArray(node)) {
    for (const element of node.slice(0, MAX_VALUES_PER_RECORD)) collect(element, path, index, found);
    return;
  }
  if (index === path.length) {
    const text = firstText(node, []);
    if (text !== undefined) found.push(text);
    return;
  }
  if (node === null || typeof node !== 'object' || !Object.hasOwn(node, path[index]!)) return;
  collect((node as Record<string, unknown>)[path[index]!], path, index + 1, found);
}

function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
