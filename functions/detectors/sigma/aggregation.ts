import { SigmaRuleError } from './errors.ts';
import { MAX_WINDOW_MS, MAX_WINDOW_THRESHOLD } from './window.ts';

/** A Sigma 1 aggregation: `| count([field]) [by f1, f2] > N`. */
export interface SigmaAggregation {
  /** The counted field for distinct values (`count(field)`); undefined counts events (`count()`). */
  field?: string;
  groupBy: string[];
  /** Distinct values (or events) needed in one window. */
  threshold: number;
}

const FIELD = /^[A-Za-z0-9_.-]+$/;
const AGGREGATION = /^(\w+)\s*\(\s*([^()]*?)\s*\)\s*(?:by\s+(.+?)\s*)?(>=|<=|==|!=|=|>|<)\s*(\d+)$/i;

/**
 * Splits a condition at its top-level `|` into the search part and the aggregation text.
 * Sigma 1 allows one aggregation, after the search.
 */
export function splitCondition(condition: string): { search: string; aggregation?: string } {
  const bar = condition.indexOf('|');
  if (bar < 0) return { search: condition };
  return { search: condition.slice(0, bar).trim(), aggregation: condition.slice(bar + 1).trim() };
}

/**
 * Parses the aggregation text after `|`. Only `count` with `>` or `>=` is evaluated: a bounded
 * window aggregate can prove that at least N events happened, never that fewer did (a quiet
 * group leaves no aggregate to judge).
 *
 * @throws {SigmaRuleError} naming the construct that is not supported, and why.
 */
export function parseAggregation(text: string, condition: string): SigmaAggregation {
  const where = `condition '${condition}'`;
  if (/^near\b/i.test(text)) {
    throw new SigmaRuleError(
      `${where}: 'near' (Sigma 1 temporal proximity) is not supported; write a Sigma correlation rule of type temporal`,
    );
  }
  const match = AGGREGATION.exec(text);
  if (!match)
    throw new SigmaRuleError(
      `${where}: cannot read aggregation '| ${text}' (expected '| count([field]) [by field[, field]] > N')`,
    );
  const [, fn = '', fieldText = '', byText, op = '', count = ''] = match;
  if (fn.toLowerCase() !== 'count') {
    throw new SigmaRuleError(`${where}: aggregation function '${fn}' is not supported (only count() and count(field))`);
  }
  if (op !== '>' && op !== '>=') {
    throw new SigmaRuleError(
      `${where}: 'count ${op} N' is not supported: a window aggregate can prove that at least N events happened, not fewer`,
    );
  }
  const field = fieldText === '' ? undefined : checkedField(fieldText, where);
  const groupBy = byText === undefined ? [] : byText.split(',').map((name) => checkedField(name.trim(), where));
  const threshold = Number(count) + (op === '>' ? 1 : 0);
  return { ...(field ? { field } : {}), groupBy, threshold: checkedThreshold(threshold, where) };
}

/** K checked against the bounds an aggregate can hold. */
export function checkedThreshold(threshold: number, where: string): number {
  if (!Number.isSafeInteger(threshold) || threshold < 1)
    throw new SigmaRuleError(`${where}: the threshold must be a whole number`);
  if (threshold > MAX_WINDOW_THRESHOLD) {
    throw new SigmaRuleError(
      `${where}: a threshold of ${threshold} events is over this engine's bound of ${MAX_WINDOW_THRESHOLD} (aggregates stay bounded)`,
    );
  }
  return threshold;
}

const UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A Sigma `timeframe` / `timespan` (`30s`, `5m`, `1h`, `1d`) in milliseconds.
 *
 * @throws {SigmaRuleError} for another form, or a span over {@link MAX_WINDOW_MS}.
 */
export function parseTimespan(value: unknown, name: string): number {
  const match = typeof value === 'string' ? /^\s*(\d+)\s*([smhd])\s*$/.exec(value) : null;
  if (!match) throw new SigmaRuleError(`'${name}: ${String(value)}' is not a time span such as 30s, 5m, 1h or 1d`);
  const ms = Number(match[1]) * UNIT_MS[match[2]!]!;
  if (ms <= 0) throw new SigmaRuleError(`'${name}: ${String(value)}' must be longer than zero`);
  if (ms > MAX_WINDOW_MS) {
    throw new SigmaRuleError(
      `'${name}: ${String(value)}' is longer than ${MAX_WINDOW_MS / 3_600_000}h, the longest window the correlation stage keeps`,
    );
  }
  return ms;
}

function checkedField(name: string, where: string): string {
  if (!FIELD.test(name) || name.split('.').some((segment) => segment === '')) {
    throw new SigmaRuleError(`${where}: '${name}' is not a field name`);
  }
  return name;
}
